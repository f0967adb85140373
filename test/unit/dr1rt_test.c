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

/* A training step by hand: parameter w[4] and a velocity v[4] (in place),
 * batch x[4], learning rate; loss = sum(w x), v = 0.5 v + x, w -= lr v. */
static void sgd_step(const void *const *in, void *const *out, void *ws) {
  float *w = (float *)in[0], *v = (float *)in[1];
  const float *x = (const float *)in[2], lr = *(const float *)in[3];
  float loss = 0;
  for (int i = 0; i < 4; ++i) {
    loss += w[i] * x[i];
    v[i] = 0.5f * v[i] + x[i];
    w[i] -= lr * v[i];
  }
  *(float *)out[0] = loss;
  (void)ws;
}
/* Its loss function for evaluation: inputs w, x. */
static void loss_fn(const void *const *in, void *const *out, void *ws) {
  const float *w = (const float *)in[0], *x = (const float *)in[1];
  float loss = 0;
  for (int i = 0; i < 4; ++i)
    loss += w[i] * x[i];
  *(float *)out[0] = loss;
  (void)ws;
}
static int batches_left;
static int next_batch(void *user, void *const *batch) {
  (void)user;
  if (batches_left-- <= 0)
    return 0;
  float *x = (float *)batch[0];
  for (int i = 0; i < 4; ++i)
    x[i] = 1.0f + i;
  return 1;
}

static const int64_t shape[] = {4};
static const dr1_tensor_info io[] = {{"x", DR1_DTYPE_F32, 1, shape, 16}};

int main(void) {
  dr1_model_info model = {
      DR1_MODEL_ABI_VERSION, 1, 1, 0, "twice", io, io, 16, 64, twice};
  CHECK(dr1rt_version() == 3);
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

  /* Training: a trainer owns w and v, runs the step per batch, and
   * saves and restores both. */
  {
    static const dr1_tensor_info step_in[] = {
        {"w", DR1_DTYPE_F32, 1, shape, 16},
        {"momentum.w", DR1_DTYPE_F32, 1, shape, 16},
        {"x", DR1_DTYPE_F32, 1, shape, 16},
        {"lr", DR1_DTYPE_F32, 0, NULL, 4}};
    static const dr1_tensor_info loss_out[] = {
        {"loss", DR1_DTYPE_F32, 0, NULL, 4}};
    static const dr1_tensor_info eval_in[] = {
        {"w", DR1_DTYPE_F32, 1, shape, 16}, {"x", DR1_DTYPE_F32, 1, shape, 16}};
    dr1_model_info step = {DR1_MODEL_ABI_VERSION,
                           4,
                           1,
                           DR1_MODEL_TRAIN_STEP,
                           "step",
                           step_in,
                           loss_out,
                           0,
                           64,
                           sgd_step,
                           2,
                           0};
    dr1_model_info eval = {DR1_MODEL_ABI_VERSION,
                           2,
                           1,
                           0,
                           "loss",
                           eval_in,
                           loss_out,
                           0,
                           64,
                           loss_fn,
                           0,
                           0};
    dr1rt_trainer *t = NULL;
    CHECK(dr1rt_trainer_create(&model, &t) == DR1RT_ERROR_INVALID_ARGUMENT &&
          !t);
    CHECK(strstr(dr1rt_last_error(), "not a training step") != NULL);
    CHECK(dr1rt_trainer_create(&step, &t) == DR1RT_OK && t);
    CHECK(dr1rt_trainer_num_batch_inputs(t) == 1);
    CHECK(dr1rt_trainer_tensor(t, 2) == NULL);
    float *w = (float *)dr1rt_trainer_tensor(t, 0);
    float *v = (float *)dr1rt_trainer_tensor(t, 1);
    CHECK(w && v && v[0] == 0 && ((uintptr_t)w % 64) == 0);
    for (int i = 0; i < 4; ++i)
      w[i] = 1;
    double mean = 0;
    int64_t steps = 0;
    batches_left = 2;
    CHECK(dr1rt_trainer_epoch(t, next_batch, NULL, 0.1f, NULL, NULL, 1, &mean,
                              &steps) == DR1RT_OK);
    /* Step 1: loss 10, v = x, w = 1 - 0.1 x; step 2: loss 10 - 0.1*30 = 7. */
    CHECK(steps == 2 && mean > 8.499 && mean < 8.501);
    CHECK(v[3] > 5.999f && v[3] < 6.001f && w[0] > 0.749f && w[0] < 0.751f);
    double eval_loss = 0, accuracy = 0;
    batches_left = 1;
    CHECK(dr1rt_trainer_evaluate(t, &eval, next_batch, NULL, &eval_loss,
                                 &accuracy) == DR1RT_OK);
    CHECK(eval_loss > 2.499 && eval_loss < 2.501 && accuracy == -1);
    const char *ckpt = "dr1rt_test.ckpt";
    CHECK(dr1rt_trainer_save(t, ckpt) == DR1RT_OK);
    float saved_w0 = w[0];
    batches_left = 1;
    CHECK(dr1rt_trainer_epoch(t, next_batch, NULL, 0.1f, NULL, NULL, 2, NULL,
                              NULL) == DR1RT_OK);
    CHECK(w[0] != saved_w0);
    CHECK(dr1rt_trainer_load(t, ckpt) == DR1RT_OK && w[0] == saved_w0 &&
          v[3] > 5.999f && v[3] < 6.001f);
    /* A checkpoint of another step is refused and changes nothing. */
    dr1_tensor_info other_in[4];
    memcpy(other_in, step_in, sizeof other_in);
    other_in[0].name = "u";
    dr1_model_info other = step;
    other.inputs = other_in;
    dr1rt_trainer *t2 = NULL;
    CHECK(dr1rt_trainer_create(&other, &t2) == DR1RT_OK);
    CHECK(dr1rt_trainer_load(t2, ckpt) == DR1RT_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(dr1rt_last_error(), "not a checkpoint of this training step"));
    CHECK(dr1rt_trainer_load(t2, "/nonexistent/x.ckpt") ==
          DR1RT_ERROR_INVALID_ARGUMENT);
    dr1rt_trainer_destroy(t2);
    remove(ckpt);
    dr1rt_trainer_destroy(t);
  }

  printf("dr1rt-test: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
