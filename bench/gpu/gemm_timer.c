/* Times a dr1-compiled CUDA matmul model (C = A x B, N x N; f32, or f16 /
 * bf16 with -DELEM=1 / -DELEM=2) on device buffers: NAME_run with device
 * pointers, which returns when its kernels have finished, so wall-clock
 * time around it is kernel time plus launch overhead. Checks a few entries
 * of C against a double-precision dot product of the same (rounded)
 * inputs, within the rounding of C's type. Built with -DMODEL=<name>
 * -DMODEL_HEADER="<name>.h" -DN=<n>.
 *   gemm_timer [iterations]   ->   "gemm N: <ms> ms, <GFLOP/s> GFLOP/s" */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include MODEL_HEADER
#include "cuda_loader.h" /* libdr1rt internal: launch failures */
#include "dr1/dr1rt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef ELEM
#define ELEM 0
#endif
#if ELEM == 0
typedef float elem;
static elem fromf(float f) { return f; }
static float tof(elem e) { return e; }
#define EPS 1e-6 /* f32: the sums' own rounding */
#elif ELEM == 1
typedef _Float16 elem;
static elem fromf(float f) { return (elem)f; }
static float tof(elem e) { return (float)e; }
#define EPS 1e-3 /* 2^-11 rounding of C, twice */
#else
typedef uint16_t elem; /* bf16 bits */
static elem fromf(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1); /* round to nearest even */
  return (elem)(u >> 16);
}
static float tof(elem e) {
  uint32_t u = (uint32_t)e << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
#define EPS 8e-3 /* 2^-8 rounding of C, twice */
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 20;
  size_t bytes = (size_t)N * N * sizeof(elem);
  elem *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
  srand(1);
  for (size_t i = 0; i < (size_t)N * N; ++i) {
    a[i] = fromf((float)rand() / RAND_MAX - 0.5f);
    b[i] = fromf((float)rand() / RAND_MAX - 0.5f);
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
  if (dr1rti_cuda_run_error()) { /* NAME_run has no status of its own */
    fprintf(stderr, "gemm_timer: %s\n", dr1rti_cuda_run_error());
    return 2;
  }
  if (dr1rt_cuda_copy_to_host(c, dc, bytes) != DR1RT_OK) {
    fprintf(stderr, "gemm_timer: %s\n", dr1rt_last_error());
    return 2;
  }
  for (int s = 0; s < 16; ++s) {
    size_t i = (size_t)rand() % N, j = (size_t)rand() % N;
    double ref = 0, mag = 0;
    for (size_t k = 0; k < (size_t)N; ++k) {
      double p = (double)tof(a[i * N + k]) * tof(b[k * N + j]);
      ref += p;
      mag += fabs(p);
    }
    double got = tof(c[i * N + j]);
    if (fabs(got - ref) > 1e-5 + 1e-4 * mag + EPS * fabs(ref)) {
      fprintf(stderr, "gemm_timer: C[%zu][%zu] = %g, expected %g\n", i, j, got,
              ref);
      return 3;
    }
  }
  printf("gemm %d: %.3f ms, %.1f GFLOP/s\n", N, ms, 2.0 * N * N * N / ms / 1e6);
  return 0;
}
