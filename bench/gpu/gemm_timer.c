/* Times a dr1-compiled CUDA matmul model (C = A x B, N x N, f32) on device
 * buffers: NAME_run with device pointers, which returns when its kernels
 * have finished, so wall-clock time around it is kernel time plus launch
 * overhead. Checks a few entries of C against a double-precision dot
 * product. Built with -DMODEL=<name> -DMODEL_HEADER="<name>.h" -DN=<n>.
 *   gemm_timer [iterations]   ->   "gemm N: <ms> ms, <GFLOP/s> GFLOP/s" */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include MODEL_HEADER
#include "dr1/dr1rt.h"

#include <math.h>
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

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 20;
  size_t bytes = (size_t)N * N * sizeof(float);
  float *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
  srand(1);
  for (size_t i = 0; i < (size_t)N * N; ++i) {
    a[i] = (float)rand() / RAND_MAX - 0.5f;
    b[i] = (float)rand() / RAND_MAX - 0.5f;
  }
  void *da = dr1rt_cuda_alloc(bytes), *db = dr1rt_cuda_alloc(bytes),
       *dc = dr1rt_cuda_alloc(bytes),
       *ws = dr1rt_cuda_alloc(CAT(MODEL, _info).workspace_size);
  if (!da || !db || !dc || !ws ||
      dr1rt_cuda_copy_to_device(da, a, bytes) != DR1RT_OK ||
      dr1rt_cuda_copy_to_device(db, b, bytes) != DR1RT_OK) {
    fprintf(stderr, "gemm_timer: %s\n", dr1rt_last_error());
    return 2;
  }
  CAT(MODEL, _run)(da, db, dc, ws); /* warm-up (and JIT) */
  double t0 = now();
  for (int i = 0; i < iters; ++i)
    CAT(MODEL, _run)(da, db, dc, ws);
  double ms = (now() - t0) * 1e3 / iters;
  if (dr1rt_cuda_copy_to_host(c, dc, bytes) != DR1RT_OK) {
    fprintf(stderr, "gemm_timer: %s\n", dr1rt_last_error());
    return 2;
  }
  for (int s = 0; s < 16; ++s) {
    size_t i = (size_t)rand() % N, j = (size_t)rand() % N;
    double ref = 0, mag = 0;
    for (size_t k = 0; k < (size_t)N; ++k) {
      ref += (double)a[i * N + k] * b[k * N + j];
      mag += fabs((double)a[i * N + k] * b[k * N + j]);
    }
    if (fabs(c[i * N + j] - ref) > 1e-5 + 1e-4 * mag) {
      fprintf(stderr, "gemm_timer: C[%zu][%zu] = %g, expected %g\n", i, j,
              c[i * N + j], ref);
      return 3;
    }
  }
  printf("gemm %d: %.3f ms, %.1f GFLOP/s\n", N, ms, 2.0 * N * N * N / ms / 1e6);
  return 0;
}
