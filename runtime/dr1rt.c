/*===- dr1rt.c - the dr1 runtime library ----------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include "dr1/dr1rt.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

struct dr1rt_session {
  const dr1_model_info *model;
  void *workspace;
};

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

dr1rt_status dr1rt_session_create(const dr1_model_info *model,
                                  dr1rt_session **out) {
  if (!model || !out)
    return DR1RT_ERROR_INVALID_ARGUMENT;
  *out = NULL;
  if (model->abi_version != DR1_MODEL_ABI_VERSION)
    return DR1RT_ERROR_ABI_MISMATCH;
  dr1rt_session *s = (dr1rt_session *)calloc(1, sizeof(*s));
  if (!s)
    return DR1RT_ERROR_OUT_OF_MEMORY;
  s->model = model;
  s->workspace = dr1rt_workspace_alloc(model);
  if (!s->workspace) {
    free(s);
    return DR1RT_ERROR_OUT_OF_MEMORY;
  }
  *out = s;
  return DR1RT_OK;
}

dr1rt_status dr1rt_session_run(dr1rt_session *session,
                               const void *const *inputs,
                               void *const *outputs) {
  if (!session || (!inputs && session->model->num_inputs > 0) || !outputs)
    return DR1RT_ERROR_INVALID_ARGUMENT;
  session->model->run(inputs, outputs, session->workspace);
  return DR1RT_OK;
}

void dr1rt_session_destroy(dr1rt_session *session) {
  if (!session)
    return;
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
