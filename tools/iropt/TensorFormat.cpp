//===- TensorFormat.cpp ---------------------------------------------------===//
#include "TensorFormat.h"
#include <cmath>
#include <fmt/format.h>

namespace qjit {

namespace {

// NumPy's defaults (numpy.set_printoptions).
constexpr int64_t kSummaryThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr size_t kLineWidth = 75;

template <typename T> std::string formatElement(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_floating_point_v<T>) {
    // fmt prints the shortest text that reads back as the same T.
    std::string text = fmt::format("{}", v);
    if (std::isfinite(v) && text.find_first_of(".eE") == std::string::npos)
      text += ".0";
    return text;
  } else {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
}

class Formatter {
public:
  Formatter(llvm::raw_ostream &os, const Tensor &tensor)
      : os(os), shape(tensor.shape()), strides(rowMajorStrides(tensor.shape())),
        summarise(tensor.numElements() > kSummaryThreshold) {}

  template <typename T> void print(const T *data) {
    if (shape.empty()) {
      os << formatElement(data[0]) << '\n';
      return;
    }
    column = 0;
    printAxis(data, 0, 0);
    os << '\n';
  }

private:
  // The indices to print along an axis of length n; -1 stands for '...'.
  llvm::SmallVector<int64_t, 8> indices(int64_t n) const {
    llvm::SmallVector<int64_t, 8> out;
    if (summarise && n > 2 * kEdgeItems) {
      for (int64_t i = 0; i < kEdgeItems; ++i)
        out.push_back(i);
      out.push_back(-1);
      for (int64_t i = n - kEdgeItems; i < n; ++i)
        out.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i)
        out.push_back(i);
    }
    return out;
  }

  void write(llvm::StringRef text) {
    os << text;
    size_t newline = text.rfind('\n');
    column = newline == llvm::StringRef::npos ? column + text.size()
                                              : text.size() - newline - 1;
  }

  template <typename T>
  void printAxis(const T *data, size_t axis, int64_t offset) {
    write("[");
    llvm::SmallVector<int64_t, 8> idx = indices(shape[axis]);
    bool innermost = axis + 1 == shape.size();
    // Continuation lines line up after this axis's bracket.
    std::string indent(axis + 1, ' ');
    for (size_t k = 0; k < idx.size(); ++k) {
      if (k != 0) {
        if (innermost) {
          write(",");
        } else {
          // Sub-arrays go on their own lines, with a blank line between
          // blocks of rank 3 and more, as NumPy does.
          write(",");
          write(std::string(shape.size() - axis - 1, '\n') + indent);
        }
      }
      if (innermost) {
        std::string text =
            idx[k] < 0 ? "..." : formatElement(data[offset + idx[k]]);
        if (k != 0) {
          // Wrap long rows; the +2 keeps room for the closing brackets.
          if (column + 1 + text.size() + 2 > kLineWidth)
            write("\n" + indent);
          else
            write(" ");
        }
        write(text);
      } else if (idx[k] < 0) {
        write("...");
      } else {
        printAxis(data, axis + 1, offset + idx[k] * strides[axis]);
      }
    }
    write("]");
  }

  llvm::raw_ostream &os;
  llvm::ArrayRef<int64_t> shape;
  Shape strides;
  bool summarise;
  size_t column = 0;
};

} // namespace

void printTensorValues(llvm::raw_ostream &os, const Tensor &tensor) {
  Formatter formatter(os, tensor);
  switch (tensor.elementType()) {
#define QJIT_PRINT_CASE(Name, CType, Descr)                                    \
  case DataType::Name:                                                         \
    formatter.print(static_cast<const CType *>(tensor.data()));                \
    break;
    QJIT_DTYPES(QJIT_PRINT_CASE)
#undef QJIT_PRINT_CASE
  }
}

} // namespace qjit
