/*===- train.c - libdr1rt's training loop and checkpoints -----------------===*
 *
 * A compiled training step (dr1c --train) updates its first num_inout
 * inputs in place; the trainer owns those tensors, feeds batches from the
 * caller's source and keeps the loss. Checkpoints are the in-place tensors
 * with their names, shapes and types (format in docs/training.md).
 *
 *===----------------------------------------------------------------------===*/
#include "dr1/dr1rt.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TRAIN_TENSORS = 256 };

static const char kMagic[8] = {'D', 'R', '1', 'C', 'K', 'P', 'T', '1'};

struct dr1rt_trainer {
  const dr1_model_info *step;
  void **tensors; /* the in-place inputs, 64-byte aligned */
  void *workspace;
  void **outputs;
  int num_batch;
};

/* `fmt` has one %s (the model's name or a path). */
static dr1rt_status train_fail(dr1rt_status status, const char *fmt,
                               const char *arg) {
  char message[512];
  snprintf(message, sizeof message, fmt, arg ? arg : "");
  dr1rti_set_last_error(message);
  return status;
}

static uint64_t round_up(uint64_t n) { return (n + 63) & ~(uint64_t)63; }

void dr1rt_trainer_destroy(dr1rt_trainer *t) {
  if (!t)
    return;
  if (t->tensors)
    for (int i = 0; i < t->step->num_inout; ++i)
      free(t->tensors[i]);
  if (t->outputs)
    for (int i = 0; i < t->step->num_outputs; ++i)
      free(t->outputs[i]);
  free(t->tensors);
  free(t->outputs);
  dr1rt_workspace_free(t->workspace);
  free(t);
}

dr1rt_status dr1rt_trainer_create(const dr1_model_info *step,
                                  dr1rt_trainer **out) {
  if (!step || !out)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "null model or trainer%s",
                      NULL);
  *out = NULL;
  if (step->abi_version < 3 || step->abi_version > DR1_MODEL_ABI_VERSION)
    return train_fail(DR1RT_ERROR_ABI_MISMATCH,
                      "model ABI version not supported for training%s", NULL);
  if (!(step->flags & DR1_MODEL_TRAIN_STEP) || step->num_inout < 1)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "'%s' is not a training step (compile it with dr1c "
                      "--train)",
                      step->name);
  if (step->flags & DR1_MODEL_CUDA)
    return train_fail(DR1RT_ERROR_UNSUPPORTED,
                      "'%s': training steps run on CPUs", step->name);
  if (step->num_inputs > MAX_TRAIN_TENSORS ||
      step->num_outputs > MAX_TRAIN_TENSORS)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "'%s' has too many inputs or outputs", step->name);
  const dr1_tensor_info *lr = &step->inputs[step->num_inputs - 1];
  if (step->num_inputs < step->num_inout + 1 || lr->rank != 0 ||
      lr->dtype != DR1_DTYPE_F32 || step->num_outputs < 1 ||
      step->outputs[0].rank != 0 || step->outputs[0].dtype != DR1_DTYPE_F32)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "'%s' does not have a training step's signature (an f32 "
                      "learning rate last, an f32 loss first)",
                      step->name);
  dr1rt_trainer *t = (dr1rt_trainer *)calloc(1, sizeof(*t));
  if (!t)
    return train_fail(DR1RT_ERROR_OUT_OF_MEMORY, "out of memory%s", NULL);
  t->step = step;
  t->num_batch = step->num_inputs - step->num_inout - 1;
  t->tensors = (void **)calloc(step->num_inout, sizeof(void *));
  t->outputs = (void **)calloc(step->num_outputs, sizeof(void *));
  int ok = t->tensors && t->outputs;
  for (int i = 0; ok && i < step->num_inout; ++i) {
    uint64_t n = round_up(step->inputs[i].size_bytes);
    ok = (t->tensors[i] = aligned_alloc(64, n ? n : 64)) != NULL;
    if (ok) /* optimizer state starts at zero; parameters are set next */
      memset(t->tensors[i], 0, n);
  }
  for (int i = 0; ok && i < step->num_outputs; ++i) {
    uint64_t n = round_up(step->outputs[i].size_bytes);
    ok = (t->outputs[i] = aligned_alloc(64, n ? n : 64)) != NULL;
  }
  if (ok)
    ok = (t->workspace = dr1rt_workspace_alloc(step)) != NULL ||
         step->workspace_size == 0;
  if (!ok) {
    dr1rt_trainer_destroy(t);
    return train_fail(DR1RT_ERROR_OUT_OF_MEMORY, "out of memory%s", NULL);
  }
  *out = t;
  return DR1RT_OK;
}

void *dr1rt_trainer_tensor(dr1rt_trainer *t, int index) {
  if (!t || index < 0 || index >= t->step->num_inout)
    return NULL;
  return t->tensors[index];
}

int dr1rt_trainer_num_batch_inputs(const dr1rt_trainer *t) {
  return t ? t->num_batch : 0;
}

const void *dr1rt_trainer_output(const dr1rt_trainer *t, int index) {
  if (!t || index < 0 || index >= t->step->num_outputs)
    return NULL;
  return t->outputs[index];
}

dr1rt_status dr1rt_trainer_step(dr1rt_trainer *t, const void *const *batch,
                                float lr, float *loss) {
  if (!t || (!batch && t->num_batch > 0))
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "null trainer or batch%s",
                      NULL);
  const void *in[MAX_TRAIN_TENSORS];
  const dr1_model_info *m = t->step;
  for (int i = 0; i < m->num_inout; ++i)
    in[i] = t->tensors[i];
  for (int i = 0; i < t->num_batch; ++i)
    in[m->num_inout + i] = batch[i];
  in[m->num_inputs - 1] = &lr;
  m->run(in, t->outputs, t->workspace);
  if (loss)
    *loss = *(const float *)t->outputs[0];
  return DR1RT_OK;
}

/* Reads batches until the source ends; fills `bufs` (one per batch input,
 * sized by `model`'s inputs from `first`). */
static dr1rt_status alloc_batch(const dr1_model_info *m, int first, int count,
                                void **bufs) {
  for (int i = 0; i < count; ++i) {
    uint64_t n = round_up(m->inputs[first + i].size_bytes);
    if (!(bufs[i] = aligned_alloc(64, n ? n : 64))) {
      for (int j = 0; j < i; ++j)
        free(bufs[j]);
      return train_fail(DR1RT_ERROR_OUT_OF_MEMORY, "out of memory%s", NULL);
    }
  }
  return DR1RT_OK;
}

static void free_batch(void **bufs, int count) {
  for (int i = 0; i < count; ++i)
    free(bufs[i]);
}

dr1rt_status dr1rt_trainer_epoch(dr1rt_trainer *t, dr1rt_batch_source source,
                                 void *user, float lr,
                                 dr1rt_progress_fn progress,
                                 void *progress_user, int epoch,
                                 double *mean_loss, int64_t *steps) {
  if (!t || !source)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "null trainer or batch source%s", NULL);
  void *bufs[MAX_TRAIN_TENSORS];
  dr1rt_status st =
      alloc_batch(t->step, t->step->num_inout, t->num_batch, bufs);
  if (st != DR1RT_OK)
    return st;
  double total = 0;
  int64_t n = 0;
  int r;
  while ((r = source(user, bufs)) > 0) {
    float loss;
    dr1rt_trainer_step(t, (const void *const *)bufs, lr, &loss);
    total += loss;
    ++n;
    if (progress)
      progress(progress_user, epoch, n, loss);
  }
  free_batch(bufs, t->num_batch);
  if (r < 0)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "the batch source failed%s",
                      NULL);
  if (mean_loss)
    *mean_loss = n ? total / n : 0;
  if (steps)
    *steps = n;
  return DR1RT_OK;
}

static int same_tensor(const dr1_tensor_info *a, const dr1_tensor_info *b) {
  if (a->dtype != b->dtype || a->rank != b->rank)
    return 0;
  for (int d = 0; d < a->rank; ++d)
    if (a->shape[d] != b->shape[d])
      return 0;
  return 1;
}

dr1rt_status dr1rt_trainer_evaluate(dr1rt_trainer *t,
                                    const dr1_model_info *eval,
                                    dr1rt_batch_source source, void *user,
                                    double *mean_loss, double *accuracy) {
  if (!t || !eval || !source)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "null trainer, model or batch source%s", NULL);
  const dr1_model_info *m = t->step;
  int num_params = eval->num_inputs - t->num_batch;
  int ok =
      eval->abi_version >= 1 && eval->abi_version <= DR1_MODEL_ABI_VERSION &&
      !(eval->flags & (DR1_MODEL_TRAIN_STEP | DR1_MODEL_CUDA)) &&
      num_params >= 1 && num_params <= m->num_inout && eval->num_outputs >= 1 &&
      eval->outputs[0].rank == 0 && eval->outputs[0].dtype == DR1_DTYPE_F32;
  for (int i = 0; ok && i < num_params; ++i)
    ok = same_tensor(&eval->inputs[i], &m->inputs[i]);
  for (int i = 0; ok && i < t->num_batch; ++i)
    ok = same_tensor(&eval->inputs[num_params + i],
                     &m->inputs[m->num_inout + i]);
  if (!ok)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "'%s' is not the step's loss function for evaluation "
                      "(parameters, then the same batch inputs; an f32 loss "
                      "first)",
                      eval->name);
  /* Accuracy: logits [N, C] (f32) against int64 labels [N], the last
   * batch input. */
  const dr1_tensor_info *labels =
      t->num_batch ? &eval->inputs[eval->num_inputs - 1] : NULL;
  int with_accuracy = eval->num_outputs >= 2 && eval->outputs[1].rank == 2 &&
                      eval->outputs[1].dtype == DR1_DTYPE_F32 && labels &&
                      labels->rank == 1 && labels->dtype == DR1_DTYPE_I64 &&
                      labels->shape[0] == eval->outputs[1].shape[0];
  void *bufs[MAX_TRAIN_TENSORS], *outs[MAX_TRAIN_TENSORS];
  dr1rt_status st = alloc_batch(eval, num_params, t->num_batch, bufs);
  if (st != DR1RT_OK)
    return st;
  dr1rt_session *s = NULL;
  int no = 0;
  for (; no < eval->num_outputs; ++no)
    if (!(outs[no] =
              aligned_alloc(64, round_up(eval->outputs[no].size_bytes) + 64)))
      break;
  if (no < eval->num_outputs || dr1rt_session_create(eval, &s) != DR1RT_OK) {
    for (int i = 0; i < no; ++i)
      free(outs[i]);
    free_batch(bufs, t->num_batch);
    return train_fail(DR1RT_ERROR_OUT_OF_MEMORY, "out of memory%s", NULL);
  }
  const void *in[MAX_TRAIN_TENSORS];
  for (int i = 0; i < num_params; ++i)
    in[i] = t->tensors[i];
  for (int i = 0; i < t->num_batch; ++i)
    in[num_params + i] = bufs[i];
  double total = 0;
  int64_t n = 0, correct = 0, seen = 0;
  int r;
  while ((r = source(user, bufs)) > 0) {
    dr1rt_session_run(s, in, outs);
    total += *(const float *)outs[0];
    ++n;
    if (with_accuracy) {
      int64_t rows = eval->outputs[1].shape[0],
              cols = eval->outputs[1].shape[1];
      const float *z = (const float *)outs[1];
      const int64_t *y = (const int64_t *)bufs[t->num_batch - 1];
      for (int64_t i = 0; i < rows; ++i) {
        int64_t best = 0;
        for (int64_t j = 1; j < cols; ++j)
          if (z[i * cols + j] > z[i * cols + best])
            best = j;
        correct += best == y[i];
        ++seen;
      }
    }
  }
  dr1rt_session_destroy(s);
  for (int i = 0; i < eval->num_outputs; ++i)
    free(outs[i]);
  free_batch(bufs, t->num_batch);
  if (r < 0)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "the batch source failed%s",
                      NULL);
  if (mean_loss)
    *mean_loss = n ? total / n : 0;
  if (accuracy)
    *accuracy = seen ? (double)correct / seen : -1;
  return DR1RT_OK;
}

/* Checkpoint: "DR1CKPT1", u32 format version (1), u32 tensor count, then
 * per in-place tensor: u32 name length, the name (no NUL), i32 dtype,
 * i32 rank, i64 shape[rank], u64 byte size, the bytes. Little-endian, as
 * the machines dr1 targets are. */
dr1rt_status dr1rt_trainer_save(const dr1rt_trainer *t, const char *path) {
  if (!t || !path)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "null trainer or path%s",
                      NULL);
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "path too long: %s", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "cannot write %s", tmp);
  const dr1_model_info *m = t->step;
  uint32_t head[2] = {1, (uint32_t)m->num_inout};
  int ok = fwrite(kMagic, 1, 8, f) == 8 && fwrite(head, 4, 2, f) == 2;
  for (int i = 0; ok && i < m->num_inout; ++i) {
    const dr1_tensor_info *ti = &m->inputs[i];
    uint32_t len = (uint32_t)strlen(ti->name);
    int32_t dr[2] = {ti->dtype, ti->rank};
    ok = fwrite(&len, 4, 1, f) == 1 && fwrite(ti->name, 1, len, f) == len &&
         fwrite(dr, 4, 2, f) == 2 &&
         (ti->rank == 0 ||
          fwrite(ti->shape, 8, ti->rank, f) == (size_t)ti->rank) &&
         fwrite(&ti->size_bytes, 8, 1, f) == 1 &&
         fwrite(t->tensors[i], 1, ti->size_bytes, f) == ti->size_bytes;
  }
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "cannot write %s", path);
  }
  return DR1RT_OK;
}

dr1rt_status dr1rt_trainer_load(dr1rt_trainer *t, const char *path) {
  if (!t || !path)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "null trainer or path%s",
                      NULL);
  FILE *f = fopen(path, "rb");
  if (!f)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT, "cannot read %s", path);
  const dr1_model_info *m = t->step;
  char magic[8];
  uint32_t head[2];
  int ok = fread(magic, 1, 8, f) == 8 && !memcmp(magic, kMagic, 8) &&
           fread(head, 4, 2, f) == 2 && head[0] == 1 &&
           head[1] == (uint32_t)m->num_inout;
  /* Read everything before touching the trainer's tensors: a bad file
   * leaves the trainer as it was. */
  void **data = ok ? (void **)calloc(m->num_inout, sizeof(void *)) : NULL;
  ok = ok && data;
  for (int i = 0; ok && i < m->num_inout; ++i) {
    const dr1_tensor_info *ti = &m->inputs[i];
    uint32_t len;
    char name[1024];
    int32_t dr[2];
    int64_t shape[16];
    uint64_t size;
    ok = fread(&len, 4, 1, f) == 1 && len < sizeof name &&
         fread(name, 1, len, f) == len;
    if (ok) {
      name[len] = 0;
      ok = !strcmp(name, ti->name) && fread(dr, 4, 2, f) == 2 &&
           dr[0] == ti->dtype && dr[1] == ti->rank && dr[1] <= 16 &&
           (dr[1] == 0 || fread(shape, 8, dr[1], f) == (size_t)dr[1]) &&
           fread(&size, 8, 1, f) == 1 && size == ti->size_bytes;
    }
    for (int d = 0; ok && d < ti->rank; ++d)
      ok = shape[d] == ti->shape[d];
    ok = ok && (data[i] = malloc(size ? size : 1)) != NULL &&
         fread(data[i], 1, size, f) == size;
  }
  fclose(f);
  if (ok)
    for (int i = 0; i < m->num_inout; ++i)
      memcpy(t->tensors[i], data[i], m->inputs[i].size_bytes);
  if (data)
    for (int i = 0; i < m->num_inout; ++i)
      free(data[i]);
  free(data);
  if (!ok)
    return train_fail(DR1RT_ERROR_INVALID_ARGUMENT,
                      "%s is not a checkpoint of this training step (names, "
                      "types and shapes must match)",
                      path);
  return DR1RT_OK;
}
