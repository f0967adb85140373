/* Times a dr1-compiled CUDA model on device buffers: its inputs are read
 * from raw files and copied to the GPU once, then NAME_run (packed) runs on
 * device pointers; it returns when its kernels have finished, so wall-clock
 * time around it is the model's GPU time plus launch overhead. The outputs
 * of the last run are copied back and written.
 *   model_timer in0.bin ... out0.bin ...   ->   "time: <ms> ms"
 * DR1_TIMER_ITERS sets the timed runs (default 20, after 3 warm-ups).
 * Built with -DMODEL=<name> -DMODEL_HEADER="<name>.h". */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include MODEL_HEADER
#include "cuda_loader.h" /* libdr1rt internal: launch failures */
#include "dr1/dr1rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int fail(const char *what) {
  const char *why = dr1rti_cuda_run_error();
  fprintf(stderr, "model_timer: %s: %s\n", what,
          why ? why : dr1rt_last_error());
  return 2;
}

int main(int argc, char **argv) {
  const dr1_model_info *m = &CAT(MODEL, _info);
  if (argc != 1 + m->num_inputs + m->num_outputs || m->num_inputs > 64 ||
      m->num_outputs > 64) {
    fprintf(stderr, "model_timer: %s expects %d inputs and %d outputs\n",
            m->name, m->num_inputs, m->num_outputs);
    return 2;
  }
  const void *din[64];
  void *dout[64];
  for (int i = 0; i < m->num_inputs; ++i) {
    size_t n = m->inputs[i].size_bytes;
    void *host = malloc(n ? n : 1), *dev = dr1rt_cuda_alloc(n ? n : 1);
    FILE *f = fopen(argv[1 + i], "rb");
    if (!f || fread(host, 1, n, f) != n) {
      fprintf(stderr, "model_timer: cannot read %zu bytes from %s\n", n,
              argv[1 + i]);
      return 2;
    }
    fclose(f);
    if (!dev || dr1rt_cuda_copy_to_device(dev, host, n) != DR1RT_OK)
      return fail("input");
    din[i] = dev;
    free(host);
  }
  for (int i = 0; i < m->num_outputs; ++i)
    if (!(dout[i] = dr1rt_cuda_alloc(m->outputs[i].size_bytes + 1)))
      return fail("output");
  void *ws = dr1rt_cuda_alloc(m->workspace_size ? m->workspace_size : 1);
  if (!ws)
    return fail("workspace");
  int iters = getenv("DR1_TIMER_ITERS") ? atoi(getenv("DR1_TIMER_ITERS")) : 20;
  /* NAME_run has no status: a failed launch (or a kernel fault) shows in
   * libdr1rt's run error, else only as outputs never written. */
  for (int i = 0; i < 3; ++i)
    m->run(din, dout, ws);
  if (dr1rti_cuda_run_error())
    return fail("run");
  double t0 = now();
  for (int i = 0; i < iters; ++i)
    m->run(din, dout, ws);
  double ms = (now() - t0) * 1e3 / (iters > 0 ? iters : 1);
  if (dr1rti_cuda_run_error())
    return fail("run");
  for (int i = 0; i < m->num_outputs; ++i) {
    size_t n = m->outputs[i].size_bytes;
    void *host = malloc(n ? n : 1);
    if (dr1rt_cuda_copy_to_host(host, dout[i], n) != DR1RT_OK)
      return fail("output copy");
    FILE *f = fopen(argv[1 + m->num_inputs + i], "wb");
    if (!f || fwrite(host, 1, n, f) != n) {
      fprintf(stderr, "model_timer: cannot write %s\n",
              argv[1 + m->num_inputs + i]);
      return 2;
    }
    fclose(f);
    free(host);
  }
  printf("time: %.4f ms\n", ms);
  return 0;
}
