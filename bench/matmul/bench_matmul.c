/* Times a dr1-compiled matmul (MODEL_run) against OpenBLAS's sgemm, single
 * threaded, in one process on the same data, and checks they agree.
 * Prints one JSON line. Built with -DMODEL=<name> -DMODEL_HEADER="<name>.h". */
#define _POSIX_C_SOURCE 200112L
#include MODEL_HEADER
#include <cblas.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

extern void openblas_set_num_threads(int);
extern char *openblas_get_corename(void);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* Calls of `f` that take >= 20 ms. */
typedef void (*fn_t)(void *);
static int calls_for(fn_t f) {
  int calls = 1;
  for (;;) {
    double t0 = now();
    for (int i = 0; i < calls; ++i)
      f(NULL);
    if (now() - t0 > 0.02)
      return calls;
    calls *= 2;
  }
}

static double median(double *v, int n) {
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (v[j] < v[i]) {
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
      }
  return v[n / 2];
}

/* Seconds per call of `a` and of `b`: medians of REPS samples of >= 20 ms
   each, the two taken in turns, so that a shared VM's slow spells fall on
   both alike rather than on whichever ran second. */
#define REPS 15
static void time_pair(fn_t a, fn_t b, double *ta, double *tb) {
  int ca = calls_for(a), cb = calls_for(b);
  double sa[REPS], sb[REPS];
  for (int r = 0; r < REPS; ++r) {
    double t0 = now();
    for (int i = 0; i < ca; ++i)
      a(NULL);
    double t1 = now();
    for (int i = 0; i < cb; ++i)
      b(NULL);
    double t2 = now();
    sa[r] = (t1 - t0) / ca;
    sb[r] = (t2 - t1) / cb;
  }
  *ta = median(sa, REPS);
  *tb = median(sb, REPS);
}

static int M, N, K;
static float *A, *B, *C1, *C2;
static void *ws;

static void run_dr1(void *ctx) {
  (void)ctx;
  CAT(MODEL, _run)(A, B, C1, ws);
}
static void run_blas(void *ctx) {
  (void)ctx;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K,
              B, N, 0.0f, C2, N);
}

int main(void) {
  const dr1_model_info *m = &CAT(MODEL, _info);
  M = (int)m->inputs[0].shape[0];
  K = (int)m->inputs[0].shape[1];
  N = (int)m->inputs[1].shape[1];
  const char *threads = getenv("BENCH_THREADS");
  openblas_set_num_threads(threads ? atoi(threads) : 1);
  A = aligned_alloc(64, (size_t)M * K * 4 + 64);
  B = aligned_alloc(64, (size_t)K * N * 4 + 64);
  C1 = aligned_alloc(64, (size_t)M * N * 4 + 64);
  C2 = aligned_alloc(64, (size_t)M * N * 4 + 64);
  ws = aligned_alloc(64, m->workspace_size + 64);
  srand(1);
  for (long i = 0; i < (long)M * K; ++i)
    A[i] = (float)rand() / RAND_MAX - 0.5f;
  for (long i = 0; i < (long)K * N; ++i)
    B[i] = (float)rand() / RAND_MAX - 0.5f;
  run_dr1(NULL);
  run_blas(NULL);
  double maxerr = 0, maxref = 0;
  for (long i = 0; i < (long)M * N; ++i) {
    double e = fabs((double)C1[i] - C2[i]);
    if (e > maxerr)
      maxerr = e;
    if (fabs(C2[i]) > maxref)
      maxref = fabs(C2[i]);
  }
  double t_dr1, t_blas;
  time_pair(run_dr1, run_blas, &t_dr1, &t_blas);
  double flop = 2.0 * M * N * K;
  printf("{\"m\": %d, \"n\": %d, \"k\": %d, \"dr1_gflops\": %.2f, "
         "\"blas_gflops\": %.2f, \"max_abs_err\": %.3g, \"max_ref\": %.3g, "
         "\"blas_core\": \"%s\", \"workspace\": %llu}\n",
         M, N, K, flop / t_dr1 * 1e-9, flop / t_blas * 1e-9, maxerr, maxref,
         openblas_get_corename(), (unsigned long long)m->workspace_size);
  return 0;
}
