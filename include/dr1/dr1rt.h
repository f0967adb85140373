/*===- dr1/dr1rt.h - the dr1 runtime library ------------------------------===*
 *
 * libdr1rt is what a compiled model may link against beyond libc: workspace
 * management and a generic runner over a model's metadata, and for models
 * compiled for NVIDIA GPUs (-target=nvptx) the CUDA driver loader and kernel
 * launcher they call (libcuda.so.1 is opened at run time; nothing links
 * against CUDA); and the training loop of steps compiled with dr1c --train,
 * with checkpoints.
 *
 *   #include "mlp.h"
 *   #include "dr1/dr1rt.h"
 *   dr1rt_session *s;
 *   dr1rt_session_create(&mlp_info, &s);
 *   const void *in[] = {x};  void *out[] = {y};
 *   dr1rt_session_run(s, in, out);
 *   dr1rt_session_destroy(s);
 *
 *===----------------------------------------------------------------------===*/
#ifndef DR1_DR1RT_H
#define DR1_DR1RT_H

#include "dr1/model_abi.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DR1RT_BUILDING)
#define DR1RT_API __attribute__((visibility("default")))
#else
#define DR1RT_API
#endif

#define DR1RT_VERSION_MAJOR 0
#define DR1RT_VERSION_MINOR 3

typedef enum dr1rt_status {
  DR1RT_OK = 0,
  DR1RT_ERROR_INVALID_ARGUMENT = 1,
  DR1RT_ERROR_OUT_OF_MEMORY = 2,
  DR1RT_ERROR_ABI_MISMATCH = 3,
  DR1RT_ERROR_UNSUPPORTED = 4,
  DR1RT_ERROR_DEVICE = 5 /* no CUDA driver or device, or a CUDA call failed */
} dr1rt_status;

/* The runtime's version as major * 100 + minor. */
DR1RT_API int dr1rt_version(void);
/* The model ABI version this runtime understands. */
DR1RT_API int dr1rt_model_abi_version(void);
/* A short English description of a status code. */
DR1RT_API const char *dr1rt_status_string(dr1rt_status status);

/* What went wrong in the calling thread's last failed call, in one line
 * (most useful after DR1RT_ERROR_DEVICE); "" if nothing did. */
DR1RT_API const char *dr1rt_last_error(void);

/* 1 if the CUDA driver loads and reports a device (CUDA models can run),
 * else 0 with the reason in dr1rt_last_error(). */
DR1RT_API int dr1rt_cuda_available(void);
/* The compute capability of CUDA device 0 as major * 10 + minor (90 for an
 * H100/H200: compile with -mcpu=sm_90); 0 without a device. */
DR1RT_API int dr1rt_cuda_sm(void);

/* CUDA device memory, for callers that run a CUDA model's NAME_run with
 * device pointers themselves (no CUDA runtime needed): NULL or an error
 * status, with the reason in dr1rt_last_error(), on failure. */
DR1RT_API void *dr1rt_cuda_alloc(size_t bytes);
DR1RT_API void dr1rt_cuda_free(void *device_ptr);
DR1RT_API dr1rt_status dr1rt_cuda_copy_to_device(void *device_dst,
                                                 const void *host_src,
                                                 size_t bytes);
DR1RT_API dr1rt_status dr1rt_cuda_copy_to_host(void *host_dst,
                                               const void *device_src,
                                               size_t bytes);

/* Aligned workspace memory (free with dr1rt_workspace_free). */
DR1RT_API void *dr1rt_workspace_alloc(const dr1_model_info *model);
DR1RT_API void dr1rt_workspace_free(void *workspace);

/* A model plus its own workspace; one session per thread. For a CUDA model
 * (DR1_MODEL_CUDA in its flags) the workspace and staging buffers for the
 * inputs and outputs are device memory; run takes host or device pointers,
 * copies host data at the model's boundaries only, and returns when the
 * outputs are written. Without a usable GPU, create fails with
 * DR1RT_ERROR_DEVICE and dr1rt_last_error() says why. */
typedef struct dr1rt_session dr1rt_session;
DR1RT_API dr1rt_status dr1rt_session_create(const dr1_model_info *model,
                                            dr1rt_session **out);
DR1RT_API dr1rt_status dr1rt_session_run(dr1rt_session *session,
                                         const void *const *inputs,
                                         void *const *outputs);
DR1RT_API void dr1rt_session_destroy(dr1rt_session *session);

/* Training. A trainer runs a step compiled with dr1c --train
 * (DR1_MODEL_TRAIN_STEP): it owns the step's in-place inputs (parameters,
 * then optimizer state; all zero on creation: write the initial
 * parameters through dr1rt_trainer_tensor or load a checkpoint), its
 * outputs and its workspace. The step's other inputs but the last are the
 * batch (e.g. input and labels); the last is the learning rate. Errors
 * leave a one-line reason in dr1rt_last_error(). See docs/training.md.
 *
 *   dr1rt_trainer *t;
 *   dr1rt_trainer_create(&mlp_train_step_info, &t);
 *   init_parameters(dr1rt_trainer_tensor(t, 0), ...);
 *   for (int e = 1; e <= 3; ++e)
 *     dr1rt_trainer_epoch(t, next_batch, &data, 0.1f, NULL, NULL, e, &loss,
 * NULL); dr1rt_trainer_save(t, "mlp.ckpt");
 */
typedef struct dr1rt_trainer dr1rt_trainer;

/* Writes the next batch into `batch` (one buffer per batch input, in the
 * step's order, sized as its dr1_tensor_info says). Returns 1 when it
 * wrote one, 0 when the data is exhausted (end of the epoch), a negative
 * value on error. */
typedef int (*dr1rt_batch_source)(void *user, void *const *batch);
/* Called after every step: epoch (as passed in), steps so far in it, loss. */
typedef void (*dr1rt_progress_fn)(void *user, int epoch, int64_t step,
                                  float loss);

DR1RT_API dr1rt_status dr1rt_trainer_create(const dr1_model_info *step,
                                            dr1rt_trainer **out);
DR1RT_API void dr1rt_trainer_destroy(dr1rt_trainer *trainer);
/* In-place tensor `index` (0 <= index < num_inout), 64-byte aligned; NULL
 * out of range. */
DR1RT_API void *dr1rt_trainer_tensor(dr1rt_trainer *trainer, int index);
DR1RT_API int dr1rt_trainer_num_batch_inputs(const dr1rt_trainer *trainer);
/* Output `index` of the last step (0: the loss). */
DR1RT_API const void *dr1rt_trainer_output(const dr1rt_trainer *trainer,
                                           int index);
/* One step on `batch`; the loss in *loss (may be NULL). */
DR1RT_API dr1rt_status dr1rt_trainer_step(dr1rt_trainer *trainer,
                                          const void *const *batch, float lr,
                                          float *loss);
/* A step per batch until `source` ends; the mean loss and the number of
 * steps (either may be NULL). */
DR1RT_API dr1rt_status dr1rt_trainer_epoch(dr1rt_trainer *trainer,
                                           dr1rt_batch_source source,
                                           void *user, float lr,
                                           dr1rt_progress_fn progress,
                                           void *progress_user, int epoch,
                                           double *mean_loss, int64_t *steps);
/* Runs `eval`, the loss function (NAME_info of the object dr1c --train
 * wrote; inputs: the parameters, then the same batch inputs), with the
 * trainer's current
 * parameters over `source`: the mean of its first output, and the
 * accuracy when its second output is [N, C] f32 logits and the last batch
 * input [N] int64 labels (else -1). */
DR1RT_API dr1rt_status dr1rt_trainer_evaluate(dr1rt_trainer *trainer,
                                              const dr1_model_info *eval,
                                              dr1rt_batch_source source,
                                              void *user, double *mean_loss,
                                              double *accuracy);
/* Checkpoints: every in-place tensor with its name, type and shape
 * (format in docs/training.md). Saving writes a temporary file and renames
 * it; loading checks names, types and shapes and changes nothing on
 * error. */
DR1RT_API dr1rt_status dr1rt_trainer_save(const dr1rt_trainer *trainer,
                                          const char *path);
DR1RT_API dr1rt_status dr1rt_trainer_load(dr1rt_trainer *trainer,
                                          const char *path);

/* Threads for models compiled with --num-threads > 1 (OpenMP), for runs
 * started from the calling thread. Forwards to omp_set_num_threads when the
 * program links libomp; DR1RT_ERROR_UNSUPPORTED when it does not (serial
 * models need no OpenMP). */
DR1RT_API dr1rt_status dr1rt_set_num_threads(int threads);

/* The profiler that models compiled with dr1c --profile call: each
 * top-level piece of work is timed and its total kept per source label
 * (ONNX node names). The table is printed to stderr at exit unless
 * DR1_PROFILE=0; report/reset print or clear it on demand. */
DR1RT_API int64_t dr1rt_profile_now(void);
DR1RT_API void dr1rt_profile_record(const char *label, int64_t start_ns);
DR1RT_API void dr1rt_profile_report(FILE *out);
DR1RT_API void dr1rt_profile_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* DR1_DR1RT_H */
