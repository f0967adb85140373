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

static const int64_t shape[] = {4};
static const dr1_tensor_info io[] = {{"x", DR1_DTYPE_F32, 1, shape, 16}};

int main(void) {
  dr1_model_info model = {DR1_MODEL_ABI_VERSION, 1, 1, 0, "twice", io, io,
                          16, 64, twice};
  CHECK(dr1rt_version() == 1);
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
  CHECK(strcmp(dr1rt_status_string(DR1RT_OK), "ok") == 0);

  printf("dr1rt-test: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
