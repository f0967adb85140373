/* Unit tests of libdr1rt's C API against a hand-written model. */
#include "dr1/dr1rt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);    \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* A "model" doubling 4 floats, using its workspace as scratch. */
static void twice(const void *const *in, void *const *out, void *ws) {
  const float *x = (const float *)in[0];
  float *scratch = (float *)ws, *y = (float *)out[0];
  for (int i = 0; i < 4; ++i)
    scratch[i] = 2 * x[i];
  memcpy(y, scratch, sizeof(float) * 4);
}

/* The entry points a CUDA model calls (libdr1rt's, as MLIR names them). */
void *mgpuModuleLoadJIT(void *data, int optLevel);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *f, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t smem,
                      void *stream, void **params, void **extra, size_t n);
void *mgpuStreamCreate(void);

/* Stands in for a compiled CUDA model, which is never reached without a
 * device (and with one, takes device pointers it must not read here). */
static void twice_on_gpu(const void *const *in, void *const *out, void *ws) {
  (void)in, (void)out, (void)ws;
}

static const int64_t shape[] = {4};
static const dr1_tensor_info io[] = {{"x", DR1_DTYPE_F32, 1, shape, 16}};

int main(void) {
  dr1_model_info model = {
      DR1_MODEL_ABI_VERSION, 1, 1, 0, "twice", io, io, 16, 64, twice};
  CHECK(dr1rt_version() == 2);
  CHECK(dr1rt_model_abi_version() == DR1_MODEL_ABI_VERSION);

  void *ws = dr1rt_workspace_alloc(&model);
  CHECK(ws && ((uintptr_t)ws % 64) == 0);
  dr1rt_workspace_free(ws);

  dr1rt_session *s = NULL;
  CHECK(dr1rt_session_create(&model, &s) == DR1RT_OK && s);
  float x[4] = {1, 2, 3, 4}, y[4] = {0};
  const void *in[] = {x};
  void *out[] = {y};
  CHECK(dr1rt_session_run(s, in, out) == DR1RT_OK);
  CHECK(y[0] == 2 && y[3] == 8);
  CHECK(dr1rt_session_run(s, in, NULL) == DR1RT_ERROR_INVALID_ARGUMENT);
  dr1rt_session_destroy(s);

  CHECK(dr1rt_session_create(NULL, &s) == DR1RT_ERROR_INVALID_ARGUMENT);
  /* This test does not link libomp. */
  CHECK(dr1rt_set_num_threads(0) == DR1RT_ERROR_INVALID_ARGUMENT);
  CHECK(dr1rt_set_num_threads(2) == DR1RT_ERROR_UNSUPPORTED);
  model.abi_version = 99;
  CHECK(dr1rt_session_create(&model, &s) == DR1RT_ERROR_ABI_MISMATCH && !s);
  /* Version 1 models (flags was reserved, 0) still run. */
  model.abi_version = 1;
  CHECK(dr1rt_session_create(&model, &s) == DR1RT_OK && s);
  CHECK(dr1rt_session_run(s, in, out) == DR1RT_OK && y[1] == 4);
  dr1rt_session_destroy(s);
  CHECK(strcmp(dr1rt_status_string(DR1RT_OK), "ok") == 0);

  /* A CUDA model: without a GPU, sessions fail with a reason, and the
   * entry points compiled kernels call do not crash. */
  model.abi_version = DR1_MODEL_ABI_VERSION;
  model.flags = DR1_MODEL_CUDA;
  model.run = twice_on_gpu;
  if (!dr1rt_cuda_available()) {
    CHECK(strstr(dr1rt_last_error(), "CUDA") != NULL);
    CHECK(dr1rt_session_create(&model, &s) == DR1RT_ERROR_DEVICE && !s);
    CHECK(strstr(dr1rt_last_error(), "CUDA") != NULL);
    CHECK(mgpuModuleLoadJIT((void *)"", 3) == NULL);
    CHECK(mgpuModuleGetFunction(NULL, "k") == NULL);
    mgpuLaunchKernel(NULL, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL, 0);
    CHECK(mgpuStreamCreate() == NULL);
    CHECK(dr1rt_cuda_alloc(16) == NULL);
    CHECK(dr1rt_cuda_copy_to_device(NULL, x, 16) == DR1RT_ERROR_DEVICE);
    CHECK(strstr(dr1rt_last_error(), "CUDA") != NULL);
    printf("dr1rt-test: no GPU: %s\n", dr1rt_last_error());
  } else {
    CHECK(dr1rt_session_create(&model, &s) == DR1RT_OK && s);
    dr1rt_session_destroy(s);
  }

  printf("dr1rt-test: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
