//===- DiskCacheTest.cpp - The disk compile cache -------------------------===//
//
// Keys (stable across processes, different for every ingredient), hits
// across Jit sessions (as in a new process), entries that are truncated,
// corrupt, of another format or written for another key (each ignored,
// recompiled and rewritten), an unwritable directory, and several threads
// writing one entry at once. Every compiled graph's outputs are compared bit
// for bit with the interpreter's.
//
//===----------------------------------------------------------------------===//
#include "JIT/DiskCache.h"
#include "JIT/DiskCacheEntry.h"
#include "JIT/DiskCacheKey.h"
#include "JIT/TargetSelection.h"
#include "JitTestSupport.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <thread>

extern char **environ;

namespace qjit::test {
namespace {

// Hex of `count` bytes, byte i being (i * step + salt) mod 256.
std::string hexBytes(size_t count, unsigned step, unsigned salt) {
  std::string text = "0x";
  for (size_t i = 0; i < count; ++i)
    text += fmt::format("{:02X}", (i * step + salt) & 0xFF);
  return text;
}

// A float multiply by a data constant over 76800 elements (parallel loops)
// and a QLinearMatMul whose constant weights the lowering packs into bytes
// the graph does not hold; `salt` changes the weights' bytes.
std::string graphText(llvm::StringRef name = "cached", unsigned salt = 0) {
  return fmt::format(
      "graph @{}(t0: Float32 [256, 300], t1: UInt8 [4, 64]) {{\n"
      "  t2 = Constant(data=%w0) : Float32 [300]\n"
      "  t3 = Multiply(t0, t2) : Float32 [256, 300]\n"
      "  t4 = Constant(data=%w1) : Int8 [64, 16]\n"
      "  t5 = Constant(data=%w2) : Int32 [16]\n"
      "  t6 = QLinearMatMul(t1, t4, t5, x_scale=0.05, x_zero_point=128, "
      "w_scale=0.01, y_scale=0.1, y_zero_point=3) : UInt8 [4, 16]\n"
      "  return t3, t6\n"
      "}}\n\n"
      "data {{\n"
      "  %w0 = \"{}\"\n"
      "  %w1 = \"{}\"\n"
      "  %w2 = \"{}\"\n"
      "}}\n",
      name.str(), hexBytes(300 * 4, 7, 0x3C), hexBytes(64 * 16, 37, salt),
      hexBytes(16 * 4, 3, 0));
}

Graph parseGraph(const std::string &text) {
  auto module = parseAndVerify(text, "cached.qir");
  if (!expectOk(module, "parsing"))
    return Graph("invalid");
  return module->getGraphs()[0];
}

// A fresh directory, removed with the fixture.
class DiskCacheJit : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> path;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qjit-cache-test", path));
    dir = std::string(path);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::unique_ptr<Jit> newJit(std::string cacheDir = "") {
    JitOptions options;
    options.cacheDir = cacheDir.empty() ? dir : cacheDir;
    auto jit = Jit::create(options);
    if (!expectOk(jit, "creating a Jit"))
      std::abort();
    return std::move(*jit);
  }

  // The files in the cache directory.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(it->path());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir;
};

// Compiles `graph` with `jit` and checks both outputs against the
// interpreter's, bit for bit.
void compileAndCheck(Jit &jit, const Graph &graph) {
  auto compiled = jit.compile(graph);
  ASSERT_OK(compiled);
  std::mt19937_64 rng(7); // its own: threads call this at once
  std::vector<Tensor> inputs;
  for (ValueId id : graph.getInputs())
    inputs.push_back(randomTensor(graph.getType(id), {}, rng));
  auto expected = interpret(graph, inputs);
  ASSERT_OK(expected);
  auto actual = (*compiled)->run(inputs);
  ASSERT_OK(actual);
  ASSERT_EQ(actual->size(), expected->size());
  for (size_t i = 0; i < actual->size(); ++i)
    EXPECT_TRUE((*actual)[i].bitwiseEqual((*expected)[i]))
        << "output " << i << ": "
        << describeMismatch((*actual)[i], (*expected)[i]);
}

std::unique_ptr<llvm::TargetMachine> targetMachine(JitOptions options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = selectTarget(options);
  if (!expectOk(builder, "selecting the target"))
    std::abort();
  auto tm = builder->createTargetMachine();
  if (!expectOk(tm, "creating the target machine"))
    std::abort();
  return std::move(*tm);
}

// A fixed CPU, so keys do not depend on the host.
JitOptions fixedTarget(unsigned optLevel = 2) {
  JitOptions options;
  options.optLevel = optLevel;
  options.cpu = "x86-64-v3";
  return options;
}

// As Jit::Impl::codeSettings says them.
std::string settingsOf(const JitOptions &options) {
  return fmt::format("O{} default-passes={}", options.optLevel,
                     options.defaultPasses && options.optLevel >= 1);
}

std::string keyOf(const Graph &graph, const JitOptions &options) {
  return toHex(
      computeDiskCacheKey(graph, *targetMachine(options), settingsOf(options)));
}

TEST(DiskCacheKey, ChangesWithEveryIngredient) {
  Graph graph = parseGraph(graphText());
  std::string key = keyOf(graph, fixedTarget());
  EXPECT_EQ(key.size(), 64u);
  // The same content, parsed again into new DenseData objects.
  EXPECT_EQ(keyOf(parseGraph(graphText()), fixedTarget()), key);

  std::string changedByte = graphText();
  size_t at = changedByte.find("%w1 = \"0x") + 9 + 2 * 100; // weight byte 100
  changedByte[at] = changedByte[at] == '0' ? '1' : '0';
  EXPECT_NE(keyOf(parseGraph(changedByte), fixedTarget()), key);
  EXPECT_NE(keyOf(parseGraph(graphText("renamed")), fixedTarget()), key);
  std::string changedAttr = graphText();
  changedAttr.replace(changedAttr.find("y_zero_point=3"), 14, "y_zero_point=4");
  EXPECT_NE(keyOf(parseGraph(changedAttr), fixedTarget()), key);

  EXPECT_NE(keyOf(graph, fixedTarget(1)), key);
  JitOptions noDefaultPasses = fixedTarget();
  noDefaultPasses.defaultPasses = false;
  EXPECT_NE(keyOf(graph, noDefaultPasses), key);
  JitOptions otherCpu = fixedTarget();
  otherCpu.cpu = "x86-64-v2";
  EXPECT_NE(keyOf(graph, otherCpu), key);
  JitOptions otherFeatures = fixedTarget();
  otherFeatures.features = "-fma";
  EXPECT_NE(keyOf(graph, otherFeatures), key);

  // The triple, through a target machine for another OS.
  std::unique_ptr<llvm::TargetMachine> tm = targetMachine(fixedTarget());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget("x86_64-pc-windows-msvc", error);
  ASSERT_TRUE(target) << error;
  std::unique_ptr<llvm::TargetMachine> windows(
      target->createTargetMachine("x86_64-pc-windows-msvc", "x86-64-v3", "",
                                  llvm::TargetOptions(), std::nullopt));
  EXPECT_NE(toHex(computeDiskCacheKey(graph, *windows, "O2")),
            toHex(computeDiskCacheKey(graph, *tm, "O2")));
}

// Run by KeyIsStableAcrossProcesses in a child process: writes the key of
// the graph to the file named by QJIT_DISK_CACHE_KEY_FILE.
TEST(DiskCacheKey, ChildWritesKey) {
  const char *path = std::getenv("QJIT_DISK_CACHE_KEY_FILE");
  if (!path)
    GTEST_SKIP() << "run by KeyIsStableAcrossProcesses";
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << keyOf(parseGraph(graphText()), fixedTarget());
}

TEST(DiskCacheKey, KeyIsStableAcrossProcesses) {
  if (std::getenv("QJIT_DISK_CACHE_KEY_FILE"))
    GTEST_SKIP() << "in the child";
  llvm::SmallString<128> keyFile;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("qjit-cache-key", "txt", keyFile));
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e)
    env.push_back(*e);
  env.push_back("QJIT_DISK_CACHE_KEY_FILE=" + std::string(keyFile));
  std::vector<llvm::StringRef> envRefs(env.begin(), env.end());
  std::string error;
  int status = llvm::sys::ExecuteAndWait(
      self, {self, "--gtest_filter=DiskCacheKey.ChildWritesKey"}, envRefs, {},
      0, 0, &error);
  ASSERT_EQ(status, 0) << error;
  auto childKey = llvm::MemoryBuffer::getFile(keyFile);
  ASSERT_TRUE(childKey) << childKey.getError().message();
  EXPECT_EQ((*childKey)->getBuffer().str(),
            keyOf(parseGraph(graphText()), fixedTarget()));
  llvm::sys::fs::remove(keyFile);
}

TEST(DiskCacheEntryFormat, RoundTripsAndRejectsDamage) {
  DiskCacheKey key{};
  key[0] = 1;
  DiskCacheEntry entry;
  entry.entryName = "qjit_g_0123";
  entry.workspaceSize = 4096;
  entry.usesThreads = true;
  entry.data.push_back({true, 2, 100, 0xABCD, ""});
  entry.data.push_back({false, 0, 3, 0, "xyz"});
  entry.objects = {"first object", "second"};
  std::string file = serializeDiskCacheEntry(key, entry);
  auto parsed = parseDiskCacheEntry(file, key);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->entryName, entry.entryName);
  EXPECT_EQ(parsed->workspaceSize, 4096u);
  EXPECT_TRUE(parsed->usesThreads);
  ASSERT_EQ(parsed->data.size(), 2u);
  EXPECT_TRUE(parsed->data[0].inGraph);
  EXPECT_EQ(parsed->data[0].graphIndex, 2u);
  EXPECT_EQ(parsed->data[0].size, 100u);
  EXPECT_EQ(parsed->data[0].contentHash, 0xABCDu);
  EXPECT_FALSE(parsed->data[1].inGraph);
  EXPECT_EQ(parsed->data[1].bytes, "xyz");
  EXPECT_EQ(parsed->objects, entry.objects);

  EXPECT_ERROR_CONTAINS(parseDiskCacheEntry(file.substr(0, 20), key),
                        "truncated: 20 bytes, less than the 56-byte header");
  EXPECT_ERROR_CONTAINS(
      parseDiskCacheEntry(file.substr(0, file.size() - 1), key),
      "truncated: the header says");
  EXPECT_ERROR_CONTAINS(parseDiskCacheEntry(file + "x", key), "too long");
  // Every byte after the header is under the checksum.
  for (size_t i = 56; i < file.size(); ++i) {
    std::string flipped = file;
    flipped[i] ^= 0x20;
    EXPECT_ERROR_CONTAINS(parseDiskCacheEntry(flipped, key),
                          "corrupt: the payload's checksum does not match");
  }
  std::string version = file;
  version[8] ^= 1;
  EXPECT_ERROR_CONTAINS(parseDiskCacheEntry(version, key),
                        "format version 0, this qjit reads 1");
  std::string magic = file;
  magic[0] = 'Q';
  EXPECT_ERROR_CONTAINS(parseDiskCacheEntry(magic, key), "wrong magic");
  DiskCacheKey other = key;
  other[31] = 7;
  EXPECT_ERROR_CONTAINS(parseDiskCacheEntry(file, other),
                        "written for another key");
}

// A chain of 38 fake quantizations (each its own kernel, past the 32 that
// are inlined) compiled in four parts on two threads: the entry keeps every
// object file, and another session links them.
TEST_F(DiskCacheJit, SplitCompileKeepsEveryPart) {
  std::string text = "graph @split(t0: Float32 [256, 300]) {\n";
  constexpr int kLinks = 38;
  for (int i = 0; i < kLinks; ++i)
    text += fmt::format("  t{} = FakeQuantization(t{}, scale={}) : "
                        "Float32 [256, 300]\n",
                        i + 1, i, 0.05 + 0.001 * i);
  text += fmt::format("  return t{}\n}}\n", kLinks);
  Graph graph = parseGraph(text);
  JitOptions options;
  options.cacheDir = dir;
  options.defaultPasses = false; // would fuse the chain into one kernel
  options.compileThreads = 2;
  for (int session = 0; session < 2; ++session) {
    auto jit = Jit::create(options);
    ASSERT_OK(jit);
    compileAndCheck(**jit, graph);
    EXPECT_EQ((*jit)->diskCacheStats().hits, session == 0 ? 0u : 1u);
    EXPECT_EQ((*jit)->diskCacheStats().misses, session == 0 ? 1u : 0u);
  }
  ASSERT_EQ(files().size(), 1u);
  auto file = llvm::MemoryBuffer::getFile(files()[0]);
  ASSERT_TRUE(file) << file.getError().message();
  DiskCacheKey key = computeDiskCacheKey(
      graph, *targetMachine(options), settingsOf(options));
  auto entry = parseDiskCacheEntry((*file)->getBuffer(), key);
  ASSERT_OK(entry);
  EXPECT_EQ(entry->objects.size(), 4u); // two parts per compile thread
}

TEST_F(DiskCacheJit, HitInAnotherSessionSkipsTheCompile) {
  Graph graph = parseGraph(graphText());
  std::unique_ptr<Jit> first = newJit();
  EXPECT_EQ(first->getOptions().cacheDir, dir);
  compileAndCheck(*first, graph);
  EXPECT_EQ(first->diskCacheStats().misses, 1u);
  EXPECT_EQ(first->diskCacheStats().hits, 0u);
  ASSERT_EQ(files().size(), 1u);
  EXPECT_EQ(llvm::sys::path::extension(files()[0]), ".qjitobj");

  std::unique_ptr<Jit> second = newJit();
  compileAndCheck(*second, graph);
  DiskCacheStats stats = second->diskCacheStats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 0u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_EQ(stats.lastProblem, "");
  auto compiled = second->compile(graph);
  ASSERT_OK(compiled);
  EXPECT_TRUE((*compiled)->usesThreads());
  EXPECT_EQ((*compiled)->getDataPointers().size(), 4u); // 3 + packed weights

  // Without the default passes the code differs: another entry.
  JitOptions noDefaultPasses;
  noDefaultPasses.defaultPasses = false;
  noDefaultPasses.cacheDir = dir;
  auto plain = Jit::create(noDefaultPasses);
  ASSERT_OK(plain);
  compileAndCheck(**plain, graph);
  EXPECT_EQ((*plain)->diskCacheStats().misses, 1u);
  EXPECT_EQ(files().size(), 2u);

  // Another graph (its weights differ in one byte) is another entry.
  compileAndCheck(*second, parseGraph(graphText("cached", 1)));
  EXPECT_EQ(second->diskCacheStats().misses, 1u);
  EXPECT_EQ(files().size(), 3u);
}

// Graphs of one name compiled first in different sessions (which would
// number their entries alike) load side by side into a third.
TEST_F(DiskCacheJit, EntriesOfManySessionsLoadIntoOne) {
  Graph a = parseGraph(graphText("g"));
  std::string subtract = graphText("g");
  subtract.replace(subtract.find("Multiply"), 8, "Subtract");
  Graph b = parseGraph(subtract);
  compileAndCheck(*newJit(), a);
  compileAndCheck(*newJit(), b);
  std::unique_ptr<Jit> both = newJit();
  compileAndCheck(*both, a);
  compileAndCheck(*both, b);
  EXPECT_EQ(both->diskCacheStats().hits, 2u);
  EXPECT_EQ(both->diskCacheStats().misses, 0u);
}

TEST_F(DiskCacheJit, DamagedEntriesAreRecompiledAndRewritten) {
  Graph graph = parseGraph(graphText());
  compileAndCheck(*newJit(), graph);
  ASSERT_EQ(files().size(), 1u);
  std::string path = files()[0];
  auto original = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(original);
  std::string good = (*original)->getBuffer().str();

  struct Damage {
    const char *name;
    std::function<void(std::string &)> apply;
    const char *why;
  };
  DiskCacheKey otherKey = computeDiskCacheKey(parseGraph(graphText("other")),
                                              *targetMachine(JitOptions()),
                                              settingsOf(JitOptions()));
  Damage damages[] = {
      {"truncated", [](std::string &f) { f.resize(f.size() / 2); },
       "truncated: the header says"},
      {"empty", [](std::string &f) { f.clear(); }, "truncated: 0 bytes"},
      {"flipped byte", [](std::string &f) { f[f.size() - 100] ^= 0x01; },
       "corrupt: the payload's checksum does not match"},
      {"wrong version", [](std::string &f) { f[8] = 99; },
       "format version 99, this qjit reads 1"},
      {"another key's entry",
       [&](std::string &f) {
         // A valid entry whose payload names another key (as if copied
         // over this one).
         auto parsed = parseDiskCacheEntry(
             f, computeDiskCacheKey(graph, *targetMachine(JitOptions()),
                                    settingsOf(JitOptions())));
         ASSERT_OK(parsed);
         f = serializeDiskCacheEntry(otherKey, *parsed);
       },
       "written for another key"},
  };
  // Each damage in turn: a new session ignores the entry (saying why),
  // compiles correct code and rewrites the entry.
  for (const Damage &d : damages) {
    SCOPED_TRACE(d.name);
    std::string bad = good;
    d.apply(bad);
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      ASSERT_FALSE(ec);
      os << bad;
    }
    std::unique_ptr<Jit> jit = newJit();
    compileAndCheck(*jit, graph);
    DiskCacheStats stats = jit->diskCacheStats();
    EXPECT_EQ(stats.rejected, 1u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.hits, 0u);
    EXPECT_NE(stats.lastProblem.find("ignored " + path), std::string::npos)
        << stats.lastProblem;
    EXPECT_NE(stats.lastProblem.find(d.why), std::string::npos)
        << stats.lastProblem;
    // Rewritten: the next session hits.
    std::unique_ptr<Jit> next = newJit();
    compileAndCheck(*next, graph);
    EXPECT_EQ(next->diskCacheStats().hits, 1u);
    EXPECT_EQ(files().size(), 1u);
  }
}

TEST_F(DiskCacheJit, UnwritableDirectoryDoesNotFailTheCompile) {
  // A directory below a regular file cannot be made, even by root.
  std::string blocker = dir + "/file";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(blocker, ec);
    ASSERT_FALSE(ec);
  }
  std::unique_ptr<Jit> jit = newJit(blocker + "/cache");
  Graph graph = parseGraph(graphText());
  compileAndCheck(*jit, graph);
  DiskCacheStats stats = jit->diskCacheStats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.writeFailures, 1u);
  EXPECT_NE(stats.lastProblem.find("cannot write " + blocker + "/cache/"),
            std::string::npos)
      << stats.lastProblem;
}

// Threads (as processes would) race to compile and write one new key per
// round: those that read while another writes must see a whole entry or
// none, never a partial one.
TEST_F(DiskCacheJit, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 4, kRounds = 6;
  std::vector<Graph> graphs;
  for (int round = 0; round < kRounds; ++round)
    graphs.push_back(parseGraph(graphText("cached", 10 + round)));
  std::vector<DiskCacheStats> stats(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (const Graph &graph : graphs) {
        std::unique_ptr<Jit> jit = newJit();
        compileAndCheck(*jit, graph);
        DiskCacheStats s = jit->diskCacheStats();
        stats[i].hits += s.hits;
        stats[i].misses += s.misses;
        stats[i].rejected += s.rejected;
        stats[i].writeFailures += s.writeFailures;
        if (!s.lastProblem.empty())
          stats[i].lastProblem = s.lastProblem;
      }
    });
  for (std::thread &t : threads)
    t.join();
  uint64_t compiles = 0;
  for (const DiskCacheStats &s : stats) {
    EXPECT_EQ(s.rejected, 0u) << s.lastProblem;
    EXPECT_EQ(s.writeFailures, 0u) << s.lastProblem;
    compiles += s.hits + s.misses;
  }
  EXPECT_EQ(compiles, uint64_t(kThreads * kRounds));
  // One entry per graph, no temporary files left behind, each loads.
  EXPECT_EQ(files().size(), size_t(kRounds));
  std::unique_ptr<Jit> reader = newJit();
  for (const Graph &graph : graphs)
    compileAndCheck(*reader, graph);
  EXPECT_EQ(reader->diskCacheStats().hits, uint64_t(kRounds));
}

// Writers replacing one entry again and again while readers load it: every
// load finds a whole entry (one writer's), never a mix or a partial file.
TEST_F(DiskCacheJit, ReadersSeeWholeEntriesWhileWritersReplaceThem) {
  qjit::DiskCache cache(dir);
  DiskCacheKey key{};
  key[0] = 42;
  constexpr int kWriters = 2, kWrites = 15;
  constexpr size_t kObjectSize = 4 << 20; // takes a while to write
  std::atomic<int> writing{kWriters};
  std::atomic<uint64_t> loads{0}, bad{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      std::string object(kObjectSize, char('a' + w));
      DiskCacheEntry entry;
      entry.entryName = "writer" + std::to_string(w);
      entry.objects.push_back(object);
      for (int i = 0; i < kWrites; ++i)
        cache.store(key, entry);
      --writing;
    });
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&] {
      while (writing > 0) {
        std::optional<qjit::DiskCache::Loaded> loaded = cache.load(key);
        if (!loaded)
          continue; // not written yet
        ++loads;
        const DiskCacheEntry *entry = &loaded->entry;
        char fill = 'a' + (entry->entryName == "writer1");
        if (entry->objects.size() != 1 ||
            entry->objects[0] != std::string(kObjectSize, fill))
          ++bad;
      }
    });
  for (std::thread &t : threads)
    t.join();
  DiskCacheStats stats = cache.getStats();
  EXPECT_EQ(stats.rejected, 0u) << stats.lastProblem;
  EXPECT_EQ(stats.writeFailures, 0u) << stats.lastProblem;
  EXPECT_EQ(bad, 0u);
  EXPECT_GT(loads, 0u);
  EXPECT_EQ(files().size(), 1u); // no temporary file left behind
}

TEST_F(DiskCacheJit, EnvironmentVariableTurnsItOn) {
  ASSERT_EQ(setenv("QJIT_CACHE_DIR", dir.c_str(), 1), 0);
  auto fromEnv = Jit::create();
  llvm::SmallString<128> optionDir(dir);
  llvm::sys::path::append(optionDir, "option");
  JitOptions options;
  options.cacheDir = std::string(optionDir);
  auto fromOption = Jit::create(options);
  unsetenv("QJIT_CACHE_DIR");
  auto off = Jit::create();
  ASSERT_OK(fromEnv);
  ASSERT_OK(fromOption);
  ASSERT_OK(off);
  EXPECT_EQ((*fromEnv)->getOptions().cacheDir, dir);
  EXPECT_EQ((*fromOption)->getOptions().cacheDir, std::string(optionDir));
  EXPECT_EQ((*off)->getOptions().cacheDir, "");

  Graph graph = parseGraph(graphText());
  compileAndCheck(**fromEnv, graph);
  EXPECT_EQ((*fromEnv)->diskCacheStats().misses, 1u);
  compileAndCheck(**off, graph);
  EXPECT_EQ((*off)->diskCacheStats().misses, 0u); // no disk cache
  EXPECT_EQ(files().size(), 1u);
}

} // namespace
} // namespace qjit::test
