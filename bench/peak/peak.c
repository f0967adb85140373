/* Peak f32 FMA throughput of one core: 24 independent accumulator chains
 * of 512-bit (AVX-512), 256-bit (AVX2/FMA) or 128-bit (NEON) FMAs, enough
 * to cover FMA latency x issue width, timed over 2^28 FMAs per chain set.
 * Prints GFLOP/s (2 flops per lane per FMA) as JSON. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SUM(v) _mm512_reduce_add_ps(v)
#define ISA "avx512"
#elif defined(__FMA__)
#include <immintrin.h>
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
static float SUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#define ISA "avx2"
#elif defined(__ARM_NEON)
#include <arm_neon.h>
typedef float32x4_t vec;
#define LANES 4
#define SET1 vdupq_n_f32
#define FMA(a, b, c) vfmaq_f32(c, a, b)
#define SUM vaddvq_f32
#define ISA "neon"
#endif

#define CHAINS 24

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void) {
  vec acc[CHAINS];
  vec a = SET1(0.999999f), b = SET1(1e-7f);
  for (int i = 0; i < CHAINS; ++i)
    acc[i] = SET1((float)i);
  long iters = 1L << 24;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    double t0 = now();
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 24
      for (int i = 0; i < CHAINS; ++i)
        acc[i] = FMA(acc[i], a, b);
    }
    double t = now() - t0;
    double gflops = 2.0 * LANES * CHAINS * (double)iters / t * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  float s = 0;
  for (int i = 0; i < CHAINS; ++i)
    s += SUM(acc[i]);
  printf("{\"isa\": \"%s\", \"gflops\": %.1f, \"checksum\": %g}\n", ISA, best,
         (double)s);
  return 0;
}
