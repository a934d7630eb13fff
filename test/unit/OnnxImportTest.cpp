//===- OnnxImportTest.cpp - importOnnxBuffer through the C++ API ----------===//
//
// Models built here with ONNX's protobuf classes, serialized, and imported
// from memory: a small QAT-style graph run through the interpreter against
// values computed by hand, and the errors of malformed or unsupported models
// (each one message, nothing half-imported).
//
//===----------------------------------------------------------------------===//
#include "TestHelpers.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Import/Onnx.h"
#include "qjit/Interpreter/Interpreter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>
#include <onnx/onnx_pb.h>

using namespace qjit;
using namespace qjit::test;

namespace {

void addInput(onnx::GraphProto &g, const std::string &name,
              std::initializer_list<int64_t> dims,
              int elemType = onnx::TensorProto::FLOAT) {
  onnx::ValueInfoProto *v = g.add_input();
  v->set_name(name);
  auto *t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elemType);
  for (int64_t d : dims)
    t->mutable_shape()->add_dim()->set_dim_value(d);
}

void addOutput(onnx::GraphProto &g, const std::string &name) {
  g.add_output()->set_name(name);
}

onnx::NodeProto *addNode(onnx::GraphProto &g, const std::string &op,
                         std::initializer_list<std::string> inputs,
                         std::initializer_list<std::string> outputs) {
  onnx::NodeProto *n = g.add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(g.node_size()));
  for (const std::string &i : inputs)
    n->add_input(i);
  for (const std::string &o : outputs)
    n->add_output(o);
  return n;
}

void addFloatInit(onnx::GraphProto &g, const std::string &name,
                  std::initializer_list<int64_t> dims,
                  std::initializer_list<float> values) {
  onnx::TensorProto *t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t->add_dims(d);
  for (float v : values)
    t->add_float_data(v);
}

void addUInt8Init(onnx::GraphProto &g, const std::string &name, uint8_t value) {
  onnx::TensorProto *t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::UINT8);
  t->set_raw_data(std::string(1, char(value)));
}

onnx::ModelProto makeModel(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto *o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("small model");
  return m;
}

std::string bytesOf(const onnx::ModelProto &m) {
  std::string s;
  EXPECT_TRUE(m.SerializeToString(&s));
  return s;
}

// x [2, 3] -> Relu(x * w + b) -> QuantizeLinear (UInt8, s = 0.5, zp = 10)
// -> DequantizeLinear, with w [3] and b as initializers.
onnx::ModelProto qatModel() {
  onnx::ModelProto m = makeModel();
  onnx::GraphProto &g = *m.mutable_graph();
  addInput(g, "x", {2, 3});
  addFloatInit(g, "w", {3}, {1.0f, -2.0f, 0.5f});
  addFloatInit(g, "b", {}, {0.25f});
  addFloatInit(g, "s", {}, {0.5f});
  addUInt8Init(g, "z", 10);
  addNode(g, "Mul", {"x", "w"}, {"xw"});
  addNode(g, "Add", {"xw", "b"}, {"xwb"});
  addNode(g, "Relu", {"xwb"}, {"r"});
  addNode(g, "QuantizeLinear", {"r", "s", "z"}, {"q"});
  addNode(g, "DequantizeLinear", {"q", "s", "z"}, {"y"});
  addOutput(g, "y");
  addOutput(g, "q");
  return m;
}

TEST(OnnxImportTest, RunsAQuantizedModelThroughTheInterpreter) {
  auto module = importOnnxBuffer(bytesOf(qatModel()), "qat.onnx");
  ASSERT_OK(module);
  ASSERT_EQ(module->getGraphs().size(), 1u);
  const Graph &g = module->getGraphs().front();
  EXPECT_EQ(g.getName(), "small_model");
  EXPECT_OK(verifyModule(*module));
  ASSERT_EQ(g.getInputs().size(), 1u);
  EXPECT_EQ(g.getType(g.getInputs()[0]).toString(), "Float32 [2, 3]");

  std::vector<float> xs = {1.0f, 1.0f, 1.0f, -3.0f, 0.1f, 60.0f};
  Tensor x(llvm::ArrayRef<int64_t>{2, 3}, llvm::ArrayRef<float>(xs));
  auto outputs = interpret(g, {x});
  ASSERT_OK(outputs);
  ASSERT_EQ(outputs->size(), 2u);
  const float w[3] = {1.0f, -2.0f, 0.5f};
  for (int i = 0; i < 6; ++i) {
    float r = std::max(xs[i] * w[i % 3] + 0.25f, 0.0f);
    float q = std::clamp(std::nearbyint(r / 0.5f) + 10.0f, 0.0f, 255.0f);
    EXPECT_EQ((*outputs)[1].as<uint8_t>()[i], uint8_t(q)) << i;
    EXPECT_EQ((*outputs)[0].as<float>()[i], (q - 10.0f) * 0.5f) << i;
  }
}

TEST(OnnxImportTest, NotAModel) {
  EXPECT_ERROR_CONTAINS(importOnnxBuffer("\x08\x96", "t.onnx"),
                        "t.onnx: not a valid ONNX model");
  EXPECT_ERROR_CONTAINS(importOnnxBuffer("", "empty.onnx"),
                        "empty.onnx: not a valid ONNX model: it has no graph");
  std::string bytes = bytesOf(qatModel());
  EXPECT_ERROR_CONTAINS(
      importOnnxBuffer(llvm::StringRef(bytes).drop_back(7), "cut.onnx"),
      "cut.onnx: ");
  OnnxImportOptions small;
  small.maxFileBytes = 16;
  EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytes, "big.onnx", small),
                        "more than the limit of 16");
  EXPECT_ERROR_CONTAINS(importOnnx("/nonexistent/m.onnx"),
                        "/nonexistent/m.onnx: cannot read");
  EXPECT_ERROR_CONTAINS(importOnnx("/dev/zero"), "not a regular file");
}

TEST(OnnxImportTest, GraphErrors) {
  {
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_node(1)->set_input(1, "nowhere");
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "m.onnx: node 'Add_2' (Add): input 'nowhere' is not "
                          "a graph input, an initializer or the output of any "
                          "node");
  }
  {
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_node(0)->set_input(0, "r"); // r needs xw
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "(the graph has a cycle)");
  }
  {
    // Nodes out of order are sorted.
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_node()->SwapElements(0, 4);
    EXPECT_OK(importOnnxBuffer(bytesOf(m), "m.onnx"));
  }
  {
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_node(2)->set_op_type("Celu");
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "node 'Relu_3' (Celu): op type 'Celu' is not "
                          "supported");
  }
  {
    onnx::ModelProto m = qatModel();
    auto *a = m.mutable_graph()->mutable_node(2)->add_attribute();
    a->set_name("alpha");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(0.1f);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "(Relu): attribute 'alpha' is not supported");
  }
  {
    onnx::ModelProto m = qatModel();
    auto *dim = m.mutable_graph()
                    ->mutable_input(0)
                    ->mutable_type()
                    ->mutable_tensor_type()
                    ->mutable_shape()
                    ->mutable_dim(0);
    dim->set_dim_param("batch");
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "graph input 'x' has a symbolic dimension 0 "
                          "('batch')");
  }
  {
    onnx::ModelProto m = qatModel();
    m.mutable_opset_import(0)->set_version(6);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "opset 6 of the default domain is not supported");
    m.mutable_opset_import(0)->set_version(9);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "(QuantizeLinear): needs opset 10 or newer");
  }
  {
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_node(4)->set_domain("com.microsoft");
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "domain 'com.microsoft' is not supported");
  }
}

TEST(OnnxImportTest, TensorErrors) {
  {
    onnx::ModelProto m = qatModel();
    onnx::TensorProto *w = m.mutable_graph()->mutable_initializer(0);
    w->clear_float_data();
    w->set_raw_data(std::string(11, '\0'));
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "initializer 'w' has 11 bytes of raw_data, but its "
                          "type Float32 [3] needs 12");
  }
  {
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_initializer(0)->add_float_data(4.0f);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "initializer 'w' holds 4 values for 3 elements");
  }
  {
    onnx::ModelProto m = qatModel();
    onnx::TensorProto *w = m.mutable_graph()->mutable_initializer(0);
    w->clear_dims();
    for (int i = 0; i < 4; ++i)
      w->add_dims(int64_t(1) << 31); // the product overflows int64
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "is too large");
    w->set_dims(0, -1);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"), "negative");
  }
  {
    // A few bytes of model asking for gigabytes: refused before allocating.
    onnx::ModelProto m = qatModel();
    onnx::TensorProto *w = m.mutable_graph()->mutable_initializer(0);
    w->clear_dims();
    w->add_dims(int64_t(1) << 30);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "holds 3 values for 1073741824 elements");
    w->clear_float_data();
    w->set_raw_data("x");
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "has 1 bytes of raw_data, but its type Float32 "
                          "[1073741824] needs 4294967296");
  }
  {
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_initializer(0)->set_data_type(
        onnx::TensorProto::BFLOAT16);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "initializer 'w' has element type BFLOAT16");
  }
  {
    onnx::ModelProto m = qatModel();
    onnx::TensorProto *w = m.mutable_graph()->mutable_initializer(0);
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "keeps its data in an external file");
  }
  {
    // The scale of QuantizeLinear computed from a graph input.
    onnx::ModelProto m = qatModel();
    m.mutable_graph()->mutable_node(3)->set_input(1, "x");
    EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                          "(QuantizeLinear): input 1 ('x') must be known when "
                          "the model is imported, but it depends on graph "
                          "input 'x'");
  }
}

TEST(OnnxImportTest, ImportTimeValuesAreSmall) {
  // A Reshape's shape computed as a [4096, 4096] broadcast: 128 MiB of
  // Int64 from 64 KiB of model is refused.
  onnx::ModelProto m = makeModel();
  onnx::GraphProto &g = *m.mutable_graph();
  addInput(g, "x", {2, 3});
  for (const char *name : {"a", "b"}) {
    onnx::TensorProto *t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(name[0] == 'a' ? 1 : 4096);
    t->add_dims(name[0] == 'a' ? 4096 : 1);
    t->set_raw_data(std::string(4096 * 8, '\0'));
  }
  addNode(g, "Add", {"a", "b"}, {"big"});
  addNode(g, "Reshape", {"x", "big"}, {"y"});
  addOutput(g, "y");
  EXPECT_ERROR_CONTAINS(importOnnxBuffer(bytesOf(m), "m.onnx"),
                        "node 'Reshape_2' (Reshape): evaluating input 1 "
                        "('big') at import time:");
}

TEST(OnnxImportTest, ValuesComputedFromConstantsAreEvaluated) {
  // Reshape's shape computed as Concat(Shape(x)[0:1], [-1]) and the scale of
  // QuantizeLinear as s * 2: both are evaluated at import time.
  onnx::ModelProto m = makeModel();
  onnx::GraphProto &g = *m.mutable_graph();
  addInput(g, "x", {2, 3, 4});
  addNode(g, "Shape", {"x"}, {"shape"});
  auto *slice = addNode(g, "Shape", {"x"}, {"first"});
  auto *end = slice->add_attribute();
  end->set_name("end");
  end->set_type(onnx::AttributeProto::INT);
  end->set_i(1);
  onnx::TensorProto *minus1 = g.add_initializer();
  minus1->set_name("minus1");
  minus1->set_data_type(onnx::TensorProto::INT64);
  minus1->add_dims(1);
  minus1->add_int64_data(-1);
  auto *concat = addNode(g, "Concat", {"first", "minus1"}, {"target"});
  auto *axis = concat->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(0);
  addNode(g, "Reshape", {"x", "target"}, {"flat"});
  addFloatInit(g, "s", {}, {0.25f});
  addFloatInit(g, "two", {}, {2.0f});
  addNode(g, "Mul", {"s", "two"}, {"s2"});
  addNode(g, "QuantizeLinear", {"flat", "s2"}, {"q"});
  addOutput(g, "q");
  m.mutable_opset_import(0)->set_version(15); // Shape's start/end
  auto module = importOnnxBuffer(bytesOf(m), "m.onnx");
  ASSERT_OK(module);
  std::string text = module->getGraphs().front().toString();
  EXPECT_NE(text.find("Reshape(t0, shape=[2, 12])"), std::string::npos) << text;
  EXPECT_NE(text.find("Quantize(t"), std::string::npos) << text;
  EXPECT_NE(text.find("scale=0.5, zero_point=0, dtype=UInt8"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("Concat"), std::string::npos) << text;
}

TEST(OnnxImportTest, EveryTestModelPrintsAndParsesBack) {
  // The lit tests' models (scripts/gen_onnx_tests.py): each imported graph
  // prints to text that parses and verifies; each bad_* model is an error.
  std::error_code ec;
  int models = 0, bad = 0;
  for (llvm::sys::fs::directory_iterator it(QJIT_ONNX_TEST_DIR, ec), end;
       it != end && !ec; it.increment(ec)) {
    llvm::StringRef path = it->path();
    if (!path.ends_with(".onnx"))
      continue;
    auto module = importOnnx(path);
    if (llvm::sys::path::filename(path).starts_with("bad_")) {
      EXPECT_FALSE(static_cast<bool>(module)) << path.str();
      if (!module)
        llvm::consumeError(module.takeError());
      ++bad;
      continue;
    }
    ++models;
    ASSERT_OK(module) << path.str();
    std::string text;
    llvm::raw_string_ostream os(text);
    printModule(os, *module);
    EXPECT_OK(parseAndVerify(text, path)) << text;
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_GE(models, 20);
  EXPECT_GE(bad, 15);
}

} // namespace
