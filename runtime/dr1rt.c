/*===- dr1rt.c - the dr1 runtime library ----------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include "dr1/dr1rt.h"
#include "cuda_loader.h"
#include "internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TENSORS = 256 };

struct dr1rt_session {
  const dr1_model_info *model;
  void *workspace;
  /* CUDA models: device staging buffers for host inputs and outputs. */
  void **device_inputs, **device_outputs;
};

static _Thread_local char last_error[512];

static dr1rt_status fail(dr1rt_status status, const char *message) {
  snprintf(last_error, sizeof last_error, "%s", message);
  return status;
}

const char *dr1rt_last_error(void) { return last_error; }

void dr1rti_set_last_error(const char *message) {
  snprintf(last_error, sizeof last_error, "%s", message);
}

int dr1rt_cuda_available(void) {
  const char *why = dr1rti_cuda_init_error();
  if (why) {
    fail(DR1RT_ERROR_DEVICE, why);
    return 0;
  }
  return 1;
}

int dr1rt_cuda_sm(void) { return dr1rti_cuda_device_sm(); }

void *dr1rt_cuda_alloc(size_t bytes) {
  if (!dr1rt_cuda_available())
    return NULL;
  dr1rti_cuda_clear_run_error();
  void *p = dr1rti_cuda_alloc(bytes);
  if (!p)
    fail(DR1RT_ERROR_DEVICE, dr1rti_cuda_run_error());
  return p;
}

void dr1rt_cuda_free(void *device_ptr) { dr1rti_cuda_free(device_ptr); }

dr1rt_status dr1rt_cuda_copy_to_device(void *device_dst, const void *host_src,
                                       size_t bytes) {
  if (!dr1rt_cuda_available())
    return DR1RT_ERROR_DEVICE;
  dr1rti_cuda_clear_run_error();
  if (!dr1rti_cuda_copy_to_device(device_dst, host_src, bytes))
    return fail(DR1RT_ERROR_DEVICE, dr1rti_cuda_run_error());
  return DR1RT_OK;
}

dr1rt_status dr1rt_cuda_copy_to_host(void *host_dst, const void *device_src,
                                     size_t bytes) {
  if (!dr1rt_cuda_available())
    return DR1RT_ERROR_DEVICE;
  dr1rti_cuda_clear_run_error();
  if (!dr1rti_cuda_copy_to_host(host_dst, device_src, bytes))
    return fail(DR1RT_ERROR_DEVICE, dr1rti_cuda_run_error());
  return DR1RT_OK;
}

static int is_cuda(const dr1_model_info *model) {
  return model->abi_version >= 2 && (model->flags & DR1_MODEL_CUDA);
}

int dr1rt_version(void) {
  return DR1RT_VERSION_MAJOR * 100 + DR1RT_VERSION_MINOR;
}

int dr1rt_model_abi_version(void) { return DR1_MODEL_ABI_VERSION; }

const char *dr1rt_status_string(dr1rt_status status) {
  switch (status) {
  case DR1RT_OK:
    return "ok";
  case DR1RT_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case DR1RT_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case DR1RT_ERROR_ABI_MISMATCH:
    return "model ABI version not supported by this runtime";
  case DR1RT_ERROR_UNSUPPORTED:
    return "not supported by this program (OpenMP runtime not linked)";
  case DR1RT_ERROR_DEVICE:
    return "CUDA device error (see dr1rt_last_error)";
  }
  return "unknown status";
}

void *dr1rt_workspace_alloc(const dr1_model_info *model) {
  if (!model)
    return NULL;
  size_t align = model->workspace_align < sizeof(void *)
                     ? sizeof(void *)
                     : (size_t)model->workspace_align;
  /* Never zero bytes: a valid, freeable pointer even for tiny models. */
  size_t size = model->workspace_size ? (size_t)model->workspace_size : align;
  void *p = NULL;
  if (posix_memalign(&p, align, size) != 0)
    return NULL;
  return p;
}

void dr1rt_workspace_free(void *workspace) { free(workspace); }

static void free_device_buffers(dr1rt_session *s) {
  const dr1_model_info *m = s->model;
  for (int i = 0; s->device_inputs && i < m->num_inputs; ++i)
    dr1rti_cuda_free(s->device_inputs[i]);
  for (int i = 0; s->device_outputs && i < m->num_outputs; ++i)
    dr1rti_cuda_free(s->device_outputs[i]);
  dr1rti_cuda_free(s->workspace);
  free(s->device_inputs);
  free(s->device_outputs);
}

static dr1rt_status create_cuda(dr1rt_session *s) {
  const dr1_model_info *m = s->model;
  const char *why = dr1rti_cuda_init_error();
  if (why)
    return fail(DR1RT_ERROR_DEVICE, why);
  dr1rti_cuda_clear_run_error();
  s->device_inputs = (void **)calloc(m->num_inputs + 1, sizeof(void *));
  s->device_outputs = (void **)calloc(m->num_outputs + 1, sizeof(void *));
  if (!s->device_inputs || !s->device_outputs)
    return fail(DR1RT_ERROR_OUT_OF_MEMORY, "out of host memory");
  int ok = (s->workspace = dr1rti_cuda_alloc(m->workspace_size)) != NULL;
  for (int i = 0; ok && i < m->num_inputs; ++i)
    ok = (s->device_inputs[i] = dr1rti_cuda_alloc(m->inputs[i].size_bytes)) !=
         NULL;
  for (int i = 0; ok && i < m->num_outputs; ++i)
    ok = (s->device_outputs[i] = dr1rti_cuda_alloc(m->outputs[i].size_bytes)) !=
         NULL;
  if (!ok)
    return fail(DR1RT_ERROR_DEVICE, dr1rti_cuda_run_error());
  return DR1RT_OK;
}

dr1rt_status dr1rt_session_create(const dr1_model_info *model,
                                  dr1rt_session **out) {
  if (!model || !out)
    return fail(DR1RT_ERROR_INVALID_ARGUMENT, "null model or session pointer");
  *out = NULL;
  if (model->abi_version < 1 || model->abi_version > DR1_MODEL_ABI_VERSION)
    return fail(DR1RT_ERROR_ABI_MISMATCH,
                "model ABI version not supported by this runtime");
  if (model->num_inputs > MAX_TENSORS || model->num_outputs > MAX_TENSORS)
    return fail(DR1RT_ERROR_INVALID_ARGUMENT, "too many inputs or outputs");
  dr1rt_session *s = (dr1rt_session *)calloc(1, sizeof(*s));
  if (!s)
    return fail(DR1RT_ERROR_OUT_OF_MEMORY, "out of host memory");
  s->model = model;
  if (is_cuda(model)) {
    dr1rt_status st = create_cuda(s);
    if (st != DR1RT_OK) {
      free_device_buffers(s);
      free(s);
      return st;
    }
  } else if (!(s->workspace = dr1rt_workspace_alloc(model))) {
    free(s);
    return fail(DR1RT_ERROR_OUT_OF_MEMORY, "cannot allocate the workspace");
  }
  *out = s;
  return DR1RT_OK;
}

/* Host pointers go through the session's device buffers; device pointers
 * are handed to the model as they are. */
static dr1rt_status run_cuda(dr1rt_session *s, const void *const *inputs,
                             void *const *outputs) {
  const dr1_model_info *m = s->model;
  const void *in[MAX_TENSORS];
  void *out[MAX_TENSORS];
  dr1rti_cuda_clear_run_error();
  for (int i = 0; i < m->num_inputs; ++i) {
    in[i] = inputs[i];
    if (!dr1rti_cuda_is_device_pointer(inputs[i])) {
      if (!dr1rti_cuda_copy_to_device(s->device_inputs[i], inputs[i],
                                     m->inputs[i].size_bytes))
        return fail(DR1RT_ERROR_DEVICE, dr1rti_cuda_run_error());
      in[i] = s->device_inputs[i];
    }
  }
  for (int i = 0; i < m->num_outputs; ++i)
    out[i] = dr1rti_cuda_is_device_pointer(outputs[i]) ? outputs[i]
                                                      : s->device_outputs[i];
  m->run(in, out, s->workspace);
  for (int i = 0; i < m->num_outputs && !dr1rti_cuda_run_error(); ++i)
    if (out[i] != outputs[i])
      dr1rti_cuda_copy_to_host(outputs[i], out[i], m->outputs[i].size_bytes);
  if (dr1rti_cuda_run_error())
    return fail(DR1RT_ERROR_DEVICE, dr1rti_cuda_run_error());
  return DR1RT_OK;
}

dr1rt_status dr1rt_session_run(dr1rt_session *session,
                               const void *const *inputs,
                               void *const *outputs) {
  if (!session || (!inputs && session->model->num_inputs > 0) || !outputs)
    return fail(DR1RT_ERROR_INVALID_ARGUMENT, "null session or tensor array");
  if (is_cuda(session->model))
    return run_cuda(session, inputs, outputs);
  session->model->run(inputs, outputs, session->workspace);
  return DR1RT_OK;
}

void dr1rt_session_destroy(dr1rt_session *session) {
  if (!session)
    return;
  if (is_cuda(session->model))
    free_device_buffers(session);
  else
    dr1rt_workspace_free(session->workspace);
  free(session);
}

dr1rt_status dr1rt_set_num_threads(int threads) {
  if (threads < 1)
    return DR1RT_ERROR_INVALID_ARGUMENT;
  /* Looked up at run time so that libdr1rt itself never needs libomp. */
  void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (!set)
    return DR1RT_ERROR_UNSUPPORTED;
  set(threads);
  return DR1RT_OK;
}
