//===- iropt.cpp - The qjit command-line driver ---------------------------===//
//
// Reads a .qir file, verifies it, runs passes, then prints the IR, emits
// LLVM IR / assembly / an object file, or JIT-compiles and runs a graph. See
// "iropt" in README.md. Nothing is written to the output (or to
// --output-dir) unless every step succeeded.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"
#include "OutputFiles.h"
#include "PrintOps.h"
#include "SplitInput.h"
#include "qjit/Import/Onnx.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace qjit;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("iropt options");

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<FILE|->"),
                                   cl::init("-"), cl::cat(category));
cl::opt<std::string> outputFilename("o",
                                    cl::desc("Output file (default: stdout)"),
                                    cl::value_desc("OUT"), cl::init("-"),
                                    cl::cat(category));
cl::opt<std::string>
    passPipeline("passes", cl::desc("Passes to run, in order (e.g. dce,cse)"),
                 cl::value_desc("pass,..."), cl::cat(category));
// What an ONNX model runs through by default (docs/onnx-import.md).
constexpr const char *kOnnxPipeline =
    "qdq-to-fake-quant,fold-constants,fold-batch-norm,cse,dce,"
    "fold-quantized-constants,fuse-elementwise";
cl::opt<bool> defaultPasses(
    "default-passes",
    cl::desc("Before --run and --emit=llvm|asm|obj|bundle at -O1 and above, "
             "run the "
             "default pipeline (--print-passes shows it) unless -passes names "
             "the passes (default: true; =false lowers the graph as given)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> printPassList("print-passes",
                            cl::desc("List the passes and exit"),
                            cl::cat(category));
cl::opt<std::string>
    printOpList("print-ops", cl::ValueOptional, cl::value_desc("markdown"),
                cl::desc("List the ops and exit (=markdown: as the README's "
                         "table)"),
                cl::cat(category));
cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to print (default: ir)"), cl::init(EmitKind::IR),
    cl::values(clEnumValN(EmitKind::IR, "ir", "the IR after the passes"),
               clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
               clEnumValN(EmitKind::Assembly, "asm", "host assembly"),
               clEnumValN(EmitKind::Object, "obj", "an object file"),
               clEnumValN(EmitKind::Bundle, "bundle",
                          "an AOT bundle (object and C header) into the "
                          "directory -o names")),
    cl::cat(category));
cl::opt<char> optLevel("O",
                       cl::desc("LLVM optimization level: -O0, -O1, -O2 "
                                "(default) or -O3"),
                       cl::Prefix, cl::init('2'), cl::cat(category));
cl::opt<std::string> cpu("mcpu", cl::desc("Target CPU (default: the host's)"),
                         cl::value_desc("name"), cl::cat(category));
cl::opt<std::string>
    features("mattr",
             cl::desc("Target features, e.g. +avx2,-avx512f (default: the "
                      "host's)"),
             cl::value_desc("+a,-b"), cl::cat(category));
cl::opt<bool> run("run",
                  cl::desc("Compile and run a graph (see --engine), printing "
                           "its outputs"),
                  cl::cat(category));
cl::opt<std::string> graphName(
    "graph",
    cl::desc("The graph to run or emit (default: the first in the file)"),
    cl::value_desc("NAME"), cl::cat(category));
cl::opt<Engine> engine(
    "engine", cl::desc("What runs the graph with --run (default: jit)"),
    cl::init(Engine::JIT),
    cl::values(clEnumValN(Engine::JIT, "jit", "native code from the JIT"),
               clEnumValN(Engine::Interpreter, "interpreter",
                          "the reference interpreter")),
    cl::cat(category));
cl::list<std::string> inputFiles(
    "input",
    cl::desc("A .npy file for the next graph input (repeatable, in order); "
             "inputs not given are random"),
    cl::value_desc("FILE.npy"), cl::cat(category));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Seed of the random inputs (default: 0)"),
                       cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Write output i to DIR/output<i>.npy"),
                               cl::value_desc("DIR"), cl::cat(category));
cl::opt<uint64_t> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("Largest tensor --run may allocate (default: 4 GiB)"),
    cl::value_desc("BYTES"), cl::init(MemoryLimits().tensorBytes),
    cl::cat(category));
cl::opt<uint64_t> maxRunBytes(
    "max-run-bytes",
    cl::desc("Bytes --run may allocate in all: inputs, outputs, intermediate "
             "values (default: 16 GiB)"),
    cl::value_desc("BYTES"), cl::init(MemoryLimits().runBytes),
    cl::cat(category));
cl::opt<unsigned> repeat("repeat",
                         cl::desc("Run N more times after the first and print "
                                  "'run-median-ns: <int>'"),
                         cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<bool> timeCompile(
    "time-compile",
    cl::desc("Print 'compile-ns: <int>', the time from parsing to a callable "
             "function (the JIT session is set up before); for a model file "
             "first 'import-ns: <int>', the import alone"),
    cl::cat(category));
cl::opt<std::string> cacheDir(
    "cache-dir",
    cl::desc("Keep compiled graphs in DIR for later runs (default: "
             "$QJIT_CACHE_DIR, else none); --time-compile then also prints "
             "'compile-cache: hit' or 'miss'"),
    cl::value_desc("DIR"), cl::cat(category));
cl::opt<unsigned> compileThreads(
    "compile-threads",
    cl::desc("Threads a compile may use to optimize and generate the code of "
             "a graph with many kernels in parts (default 0: all cores; the "
             "results are the same for any count)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<bool> splitInput(
    "split-input-file",
    cl::desc("Process the cases separated by '// -----' lines independently"),
    cl::cat(category));
cl::opt<bool> verifyDiagnostics(
    "verify-diagnostics",
    cl::desc("Check errors against '// expected-error {{...}}' comments"),
    cl::cat(category));

// libLLVM's ThinLTO code generator registers an option called "threads";
// registering iropt's own at start-up would abort, so it is made in main()
// after taking that one out (iropt runs no ThinLTO).
cl::opt<unsigned> &threadsOption() {
  if (cl::Option *lto = cl::getRegisteredOptions().lookup("threads"))
    lto->removeArgument();
  static cl::opt<unsigned> threads(
      "threads",
      cl::desc("Threads the kernels of --run may use, at least 1 (default: "
               "all cores)"),
      cl::value_desc("N"), cl::init(0), cl::cat(category));
  return threads;
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "iropt") << message << '\n';
  return 1;
}

// Options that only make sense together; returns an error message or "".
std::string checkOptionCombinations(const cl::opt<unsigned> &threads) {
  if (optLevel < '0' || optLevel > '3')
    return "-O must be -O0, -O1, -O2 or -O3";
  if (threads.getNumOccurrences() && threads < 1)
    return "--threads must be at least 1";
  if (!run) {
    // (cl::list overloads operator&, hence std::addressof.)
    const cl::Option *runOptions[] = {std::addressof(inputFiles),
                                      &seed,
                                      &outputDir,
                                      &repeat,
                                      &threads,
                                      &engine};
    for (const cl::Option *o : runOptions)
      if (o->getNumOccurrences())
        return ("--" + o->ArgStr + " needs --run").str();
  } else if (emitKind.getNumOccurrences()) {
    return "--emit and --run cannot be combined";
  }
  if (timeCompile && run && engine == Engine::Interpreter)
    return "--time-compile needs the JIT, not --engine=interpreter";
  if (splitInput && !outputDir.empty())
    return "--output-dir cannot be combined with --split-input-file (the "
           "cases would write the same files)";
  if (splitInput && emitKind == EmitKind::Object)
    return "--emit=obj cannot be combined with --split-input-file";
  if (emitKind == EmitKind::Bundle && outputFilename == "-")
    return "--emit=bundle needs -o DIR, the directory to write the bundle to";
  if (emitKind == EmitKind::Bundle && splitInput)
    return "--emit=bundle cannot be combined with --split-input-file";
  return "";
}

int writeOutputs(std::vector<CaseOutput> outputs);

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  const cl::opt<unsigned> &threads = threadsOption();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "iropt: parse, verify, transform, compile and run qjit graphs\n");

  if (printOpList.getNumOccurrences() && !printOpList.empty() &&
      printOpList != "markdown")
    return fail(llvm::Twine("--print-ops takes no value or 'markdown', got '") +
                printOpList.getValue() + "'");
  if (printOpList.getNumOccurrences() || printPassList) {
    if (printOpList.getNumOccurrences())
      printOps(llvm::outs(), printOpList == "markdown");
    if (printPassList)
      printPasses(llvm::outs());
    return 0;
  }
  if (std::string problem = checkOptionCombinations(threads); !problem.empty())
    return fail(problem);

  // An imported model that is run or compiled goes through the inference
  // passes unless -passes names what to run (or -O0 asks for none);
  // --emit=ir prints what the import made.
  bool onnxInput = llvm::StringRef(inputFilename).ends_with(".onnx");
  std::string passes = passPipeline;
  if (onnxInput && !passPipeline.getNumOccurrences() && optLevel != '0' &&
      (run || emitKind != EmitKind::IR))
    passes = kOnnxPipeline;
  auto pipeline = parsePassPipeline(passes);
  if (!pipeline)
    return fail(llvm::toString(pipeline.takeError()));

  DriverOptions options;
  options.emit = emitKind;
  options.jit.optLevel = static_cast<unsigned>(optLevel - '0');
  options.jit.cpu = cpu;
  options.jit.features = features;
  // -passes (or an imported model's pipeline) runs exactly what it names.
  options.jit.defaultPasses = defaultPasses && passes.empty();
  options.jit.cacheDir = cacheDir;
  options.jit.compileThreads = compileThreads;
  options.graphName = graphName;
  options.run = run;
  options.engine = engine;
  options.inputFiles.assign(inputFiles.begin(), inputFiles.end());
  options.seed = seed;
  options.outputDir = outputDir;
  options.repeat = repeat;
  options.runOptions.threads = threads;
  options.runOptions.limits = {maxTensorBytes, maxRunBytes};
  options.timeCompile = timeCompile;
  options.verifyDiagnostics = verifyDiagnostics;
  if (emitKind == EmitKind::Bundle) {
    // Named after the input file (docs/bundles.md).
    options.bundleDir = outputFilename;
    options.bundleName = inputFilename == "-"
                             ? "bundle"
                             : llvm::sys::path::stem(inputFilename).str();
  }
  Driver driver(std::move(options), std::move(*pipeline));

  // An ONNX model is imported rather than parsed; the rest is the same.
  if (onnxInput) {
    if (splitInput || verifyDiagnostics)
      return fail("--split-input-file and --verify-diagnostics read .qir "
                  "text, not an ONNX model");
    CaseOutput out;
    if (!driver.processModule([&] { return importOnnx(inputFilename); },
                              inputFilename, out))
      return 1;
    return writeOutputs({std::move(out)});
  }

  auto file = llvm::MemoryBuffer::getFileOrSTDIN(inputFilename);
  if (!file)
    return fail("cannot read '" + inputFilename +
                "': " + file.getError().message());
  std::string bufferName = (*file)->getBufferIdentifier().str();

  // Every case is processed (so all errors are reported) but nothing is
  // printed unless all succeed.
  std::vector<CaseOutput> outputs;
  bool ok = true;
  auto process = [&](std::unique_ptr<llvm::MemoryBuffer> buffer) {
    llvm::SourceMgr srcMgr;
    unsigned id = srcMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    CaseOutput out;
    ok &= driver.processCase(srcMgr, id, out);
    outputs.push_back(std::move(out));
  };
  if (splitInput) {
    for (const std::string &text : splitInputFile((*file)->getBuffer()))
      process(llvm::MemoryBuffer::getMemBufferCopy(text, bufferName));
  } else {
    process(std::move(*file));
  }
  if (!ok)
    return 1;
  return writeOutputs(std::move(outputs));
}

namespace {

// Writes every case's output (to -o or stdout) and files, all or none.
int writeOutputs(std::vector<CaseOutput> outputs) {
  bool toStdout = outputFilename == "-";
  if (toStdout && emitKind == EmitKind::Object && llvm::outs().is_displayed())
    return fail("refusing to write an object file to a terminal; use -o");
  // Every file (-o and --output-dir's) is written, or none is.
  OutputFiles files;
  for (CaseOutput &out : outputs)
    for (auto &[path, contents] : out.files)
      files.add(std::move(path), std::move(contents), /*createDirectory=*/true);
  // A bundle was written into its directory by the driver.
  if (!toStdout && emitKind != EmitKind::Bundle) {
    std::string output;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (i != 0)
        output += (kSplitMarker + "\n").str();
      output += outputs[i].output;
    }
    files.add(outputFilename, std::move(output));
  }
  if (llvm::Error err = files.commit())
    return fail(llvm::toString(std::move(err)));
  if (!toStdout) {
    for (const CaseOutput &out : outputs)
      llvm::outs() << out.reports;
    return 0;
  }
  // On stdout each case's timings follow its output.
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (i != 0)
      llvm::outs() << kSplitMarker << '\n';
    llvm::outs() << outputs[i].output << outputs[i].reports;
  }
  return 0;
}

} // namespace
