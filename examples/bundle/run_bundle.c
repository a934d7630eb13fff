/* run_bundle.c: runs one graph of an AOT bundle from C (docs/bundles.md).
 *
 * Built once per graph, with BUNDLE_HEADER naming the bundle's header and
 * BUNDLE_GRAPH the graph's C function (CMakeLists.txt beside this file):
 *
 *   run_bundle DIR [THREADS]
 *
 * fills every input with deterministic values, writes them to
 * DIR/input<i>.npy, runs the graph (on at most THREADS threads, default all
 * cores) and writes its outputs to DIR/output<j>.npy, so that `iropt --run
 * --input=DIR/input0.npy ...` can be compared with it. Before that it checks
 * that a call with a null input is refused. Exit status 0 on success. */
#include BUNDLE_HEADER

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONCAT_(a, b) a##b
#define CONCAT(a, b) CONCAT_(a, b)
#define NUM_INPUTS CONCAT(BUNDLE_GRAPH, _NUM_INPUTS)
#define NUM_OUTPUTS CONCAT(BUNDLE_GRAPH, _NUM_OUTPUTS)
#define WORKSPACE_SIZE CONCAT(BUNDLE_GRAPH, _WORKSPACE_SIZE)
#define INPUTS CONCAT(BUNDLE_GRAPH, _inputs)
#define STRING_(x) #x
#define STRING(x) STRING_(x)
#define OUTPUTS CONCAT(BUNDLE_GRAPH, _outputs)

/* A well-mixed 64-bit hash of (tensor, element): splitmix64's finalizer. */
static uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/* Element e of input `tensor`: floats in [-4, 4] (multiples of 1/256, so
   fake quantization meets exact ties), integers over their range. */
static void fill(const qjit_tensor_info *info, void *data, uint64_t tensor) {
  for (int64_t e = 0; e < info->elements; ++e) {
    uint64_t h = mix(tensor << 40 ^ (uint64_t)e);
    double real = ((int64_t)(h % 2049) - 1024) / 256.0;
    switch (info->type) {
    case QJIT_FLOAT32: ((float *)data)[e] = (float)real; break;
    case QJIT_FLOAT64: ((double *)data)[e] = real; break;
    case QJIT_INT8: ((int8_t *)data)[e] = (int8_t)(uint8_t)h; break;
    case QJIT_UINT8: ((uint8_t *)data)[e] = (uint8_t)h; break;
    case QJIT_INT16: ((int16_t *)data)[e] = (int16_t)(uint16_t)h; break;
    case QJIT_INT32: ((int32_t *)data)[e] = (int32_t)(h % 2001) - 1000; break;
    case QJIT_INT64: ((int64_t *)data)[e] = (int64_t)(h % 2001) - 1000; break;
    case QJIT_BOOL: ((uint8_t *)data)[e] = (uint8_t)(h & 1); break;
    }
  }
}

/* NumPy's descr of an element type (little-endian host). */
static const char *npyDescr(qjit_element_type type) {
  switch (type) {
  case QJIT_FLOAT32: return "<f4";
  case QJIT_FLOAT64: return "<f8";
  case QJIT_INT8: return "|i1";
  case QJIT_UINT8: return "|u1";
  case QJIT_INT16: return "<i2";
  case QJIT_INT32: return "<i4";
  case QJIT_INT64: return "<i8";
  case QJIT_BOOL: return "|b1";
  }
  return "?";
}

/* Writes `info`'s bytes at `data` as a .npy file (format version 1.0). */
static int writeNpy(const char *path, const qjit_tensor_info *info,
                    const void *data) {
  char dict[512];
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   npyDescr(info->type));
  for (int d = 0; d < info->rank; ++d)
    n += snprintf(dict + n, sizeof dict - n, "%" PRId64 "%s", info->shape[d],
                  info->rank == 1 ? "," : d + 1 < info->rank ? ", " : "");
  n += snprintf(dict + n, sizeof dict - n, "), }");
  /* Magic (6), version (2), length (2), dict, spaces, '\n': a multiple of 64. */
  int total = (10 + n + 1 + 63) / 64 * 64;
  unsigned headerLength = (unsigned)(total - 10);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return 1;
  }
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc((int)(headerLength & 0xFF), f);
  fputc((int)(headerLength >> 8), f);
  fwrite(dict, 1, (size_t)n, f);
  for (int i = 10 + n; i < total - 1; ++i)
    fputc(' ', f);
  fputc('\n', f);
  fwrite(data, 1, info->bytes, f);
  if (fclose(f) != 0) {
    perror(path);
    return 1;
  }
  return 0;
}

/* A zeroed buffer of `bytes` bytes aligned to 64 (never NULL on success). */
static void *allocate(size_t bytes) {
  void *p = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  if (!p) {
    fprintf(stderr, "run_bundle: out of memory\n");
    exit(1);
  }
  memset(p, 0, bytes);
  return p;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s DIR [THREADS]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  if (argc == 3)
    qjit_set_max_threads((unsigned)atoi(argv[2]));

  const void *inputs[NUM_INPUTS + 1];
  void *outputs[NUM_OUTPUTS + 1];
  char path[4096];
  for (int i = 0; i < NUM_INPUTS; ++i) {
    void *data = allocate(INPUTS[i].bytes);
    fill(&INPUTS[i], data, (uint64_t)i);
    inputs[i] = data;
    snprintf(path, sizeof path, "%s/input%d.npy", dir, i);
    if (writeNpy(path, &INPUTS[i], data))
      return 1;
  }
  for (int j = 0; j < NUM_OUTPUTS; ++j)
    outputs[j] = allocate(OUTPUTS[j].bytes);
  void *workspace = WORKSPACE_SIZE ? allocate(WORKSPACE_SIZE) : NULL;

  if (NUM_INPUTS > 0 && INPUTS[0].bytes > 0) {
    const void *saved = inputs[0];
    inputs[0] = NULL;
    if (BUNDLE_GRAPH(inputs, outputs, workspace) != -1) {
      fprintf(stderr, "run_bundle: a null input was not refused\n");
      return 1;
    }
    inputs[0] = saved;
  }
  int status = BUNDLE_GRAPH(inputs, outputs, workspace);
  if (status != 0) {
    fprintf(stderr, "run_bundle: the graph returned %d\n", status);
    return 1;
  }
  for (int j = 0; j < NUM_OUTPUTS; ++j) {
    snprintf(path, sizeof path, "%s/output%d.npy", dir, j);
    if (writeNpy(path, &OUTPUTS[j], outputs[j]))
      return 1;
  }
  printf("%s: %d input(s) and %d output(s) written to %s\n",
         STRING(BUNDLE_GRAPH), NUM_INPUTS, NUM_OUTPUTS, dir);
  for (int i = 0; i < NUM_INPUTS; ++i)
    free((void *)inputs[i]);
  for (int j = 0; j < NUM_OUTPUTS; ++j)
    free(outputs[j]);
  free(workspace);
  return 0;
}
