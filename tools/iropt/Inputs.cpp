//===- Inputs.cpp ---------------------------------------------------------===//
#include "Inputs.h"
#include "qjit/Support/Error.h"
#include "qjit/Support/Npy.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "Support/MakeError.h"

namespace qjit {

namespace {

// SplitMix64: a small generator whose output is fixed by its definition, so
// random inputs are the same on every platform and standard library.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

private:
  uint64_t state;
};

template <typename T> T randomValue(SplitMix64 &rng) {
  uint64_t bits = rng.next();
  if constexpr (std::is_same_v<T, bool>) {
    return bits >> 63;
  } else if constexpr (std::is_same_v<T, float>) {
    // k / 2^21 - 4 with k < 2^24 is exact in float32.
    return static_cast<float>(double(bits >> 40) * 0x1p-21 - 4.0);
  } else if constexpr (std::is_same_v<T, double>) {
    return double(bits >> 11) * 0x1p-50 - 4.0;
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<T>(static_cast<int64_t>(bits >> 60) - 8);
  } else {
    return static_cast<T>(bits >> 60);
  }
}

template <typename T> void fillRandom(Tensor &t, SplitMix64 &rng) {
  for (T &v : t.values<T>())
    v = randomValue<T>(rng);
}

} // namespace

llvm::Expected<Tensor> randomTensor(const TensorType &type, uint64_t seed,
                                    size_t index) {
  // Mix the index into the seed so inputs get unrelated streams.
  SplitMix64 rng(SplitMix64(seed).next() ^
                 (static_cast<uint64_t>(index) + 1) * 0xd1b54a32d192ed03ull);
  auto allocated = Tensor::allocate(type);
  if (!allocated)
    return allocated.takeError();
  Tensor &tensor = *allocated;
  switch (type.elementType) {
#define QJIT_RANDOM_CASE(Name, CType, Descr)                                   \
  case DataType::Name:                                                         \
    fillRandom<CType>(tensor, rng);                                            \
    break;
    QJIT_DTYPES(QJIT_RANDOM_CASE)
#undef QJIT_RANDOM_CASE
  }
  return std::move(*allocated);
}

llvm::Expected<Tensor> readInputTensor(const TensorType &type, size_t index,
                                       llvm::StringRef path) {
  // The type passed the run's limits: a file larger than it is wrong.
  auto array = readNpyFile(path, type.sizeInBytes());
  if (!array)
    return array.takeError();
  std::optional<DataType> dtype = dataTypeFromNpyDescr(array->descr);
  if (!dtype)
    return makeError("input {} ({}): expected {}, got unsupported .npy dtype "
                     "'{}'",
                     index, path.str(), type.toString(), array->descr);
  TensorType got{*dtype, Shape(array->shape.begin(), array->shape.end())};
  if (got != type)
    return makeError("input {} ({}): expected {}, got {}", index, path.str(),
                     type.toString(), got.toString());
  if (array->data.size() != got.sizeInBytes())
    return makeError("input {} ({}): {} bytes of data for {} ({} bytes)", index,
                     path.str(), array->data.size(), got.toString(),
                     got.sizeInBytes());
  auto allocated = Tensor::allocate(type);
  if (!allocated)
    return allocated.takeError();
  Tensor &tensor = *allocated;
  if (!array->data.empty())
    std::memcpy(tensor.data(), array->data.data(), array->data.size());
  // A bool is 0 or 1; any other byte would be undefined behaviour to read.
  if (type.elementType == DataType::Bool)
    for (unsigned char &b : llvm::MutableArrayRef<unsigned char>(
             static_cast<unsigned char *>(tensor.data()), tensor.sizeInBytes()))
      b = b != 0;
  return std::move(*allocated);
}

llvm::Expected<std::vector<Tensor>>
prepareInputs(llvm::ArrayRef<TensorType> types,
              llvm::ArrayRef<std::string> files, uint64_t seed,
              const MemoryLimits &limits, uint64_t &used) {
  if (files.size() > types.size())
    return makeError("{} --input files given but the graph has {} input{}",
                     files.size(), types.size(), types.size() == 1 ? "" : "s");
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < types.size(); ++i) {
    if (auto err = limits.reserve(types[i], fmt::format("input {}", i), used))
      return err;
    auto tensor = i < files.size() ? readInputTensor(types[i], i, files[i])
                                   : randomTensor(types[i], seed, i);
    if (!tensor)
      return tensor.takeError();
    inputs.push_back(std::move(*tensor));
  }
  return inputs;
}

std::vector<std::pair<std::string, std::string>>
npyOutputFiles(llvm::StringRef dir, llvm::ArrayRef<Tensor> outputs) {
  std::vector<std::pair<std::string, std::string>> files;
  for (size_t i = 0; i < outputs.size(); ++i) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, "output" + std::to_string(i) + ".npy");
    const Tensor &t = outputs[i];
    llvm::StringRef bytes(static_cast<const char *>(t.data()), t.sizeInBytes());
    files.emplace_back(path.str().str(),
                       serializeNpy(npyDescr(t.elementType()), t.shape(), bytes));
  }
  return files;
}

} // namespace qjit
