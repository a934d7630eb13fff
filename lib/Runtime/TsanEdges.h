//===- TsanEdges.h - Fork/join edges TSan cannot see ------------*- C++ -*-===//
//
// Debian's libtbb.so is not instrumented, so ThreadSanitizer does not see the
// happens-before edges it provides: a task spawned or delegated to another
// thread runs after everything its spawner did before the spawn, and a
// parallel_for or task_arena::execute returns after everything its tasks did.
// ForkJoinEdges states those two edges to TSan with its public annotations,
// around one call: the caller calls fork() before handing work to oneTBB and
// joined() after it returns; every task calls started() before reading
// anything the caller wrote and finished() when done. The fork and join tags
// are separate addresses, so tasks are not ordered among themselves (a race
// between two chunks is still reported), and both live in the object of one
// call, so concurrent calls stay unordered too. Without TSan every member is
// empty and inline: nothing is left in the code.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_TSANEDGES_H
#define QJIT_LIB_RUNTIME_TSANEDGES_H

#if defined(__SANITIZE_THREAD__)
#define QJIT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QJIT_TSAN 1
#endif
#endif

#ifdef QJIT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace qjit {

class ForkJoinEdges {
public:
#ifdef QJIT_TSAN
  void fork() { __tsan_release(&forkTag); }
  // Only the address of a tag, computed from `this`: no memory read that
  // could itself race before the acquire.
  void started() { __tsan_acquire(&forkTag); }
  void finished() { __tsan_release(&joinTag); }
  void joined() { __tsan_acquire(&joinTag); }

private:
  char forkTag = 0;
  char joinTag = 0;
#else
  void fork() {}
  void started() {}
  void finished() {}
  void joined() {}
#endif
};

} // namespace qjit

#endif
