// Peak rate of one core for the dot-product instructions dr1's kernels use:
// 16 independent accumulator chains of vfmadd231ps (f32), vdpbf16ps (bf16
// pairs into f32) and vpdpbusd (u8 x s8 quads into i32), zmm registers.
// Built and run by bench/quant/run.py (clang -O2 -march=native); needs
// AVX-512 F, BF16 and VNNI.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS 16
#define ITERS 50000000L

int main(void) {
  __m512 f[CHAINS];
  for (int i = 0; i < CHAINS; i++)
    f[i] = _mm512_set1_ps(i * 1e-3f);
  __m512 u = _mm512_set1_ps(1.0001f), v = _mm512_set1_ps(0.9999f);
  double t0 = now();
  for (long i = 0; i < ITERS; i++) {
#pragma GCC unroll 16
    for (int j = 0; j < CHAINS; j++)
      f[j] = _mm512_fmadd_ps(f[j], u, v);
    __asm__ volatile("" : "+v"(u)); // keeps the loop from being folded
  }
  double t = now() - t0;
  float sink = 0;
  for (int j = 0; j < CHAINS; j++)
    sink += _mm512_reduce_add_ps(f[j]);
  printf("f32_fma_gflops %.1f\n", ITERS * CHAINS * 32.0 / t / 1e9);

  __m512 b[CHAINS];
  for (int i = 0; i < CHAINS; i++)
    b[i] = _mm512_set1_ps(i * 1e-3f);
  __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80);
  t0 = now();
  for (long i = 0; i < ITERS; i++) {
#pragma GCC unroll 16
    for (int j = 0; j < CHAINS; j++)
      b[j] = _mm512_dpbf16_ps(b[j], x, x);
    __asm__ volatile("" : "+v"(x));
  }
  t = now() - t0;
  for (int j = 0; j < CHAINS; j++)
    sink += _mm512_reduce_add_ps(b[j]);
  printf("bf16_dot_gflops %.1f\n", ITERS * CHAINS * 64.0 / t / 1e9);

  __m512i q[CHAINS];
  for (int i = 0; i < CHAINS; i++)
    q[i] = _mm512_set1_epi32(i);
  __m512i p = _mm512_set1_epi32(0x01010101);
  t0 = now();
  for (long i = 0; i < ITERS; i++) {
#pragma GCC unroll 16
    for (int j = 0; j < CHAINS; j++)
      q[j] = _mm512_dpbusd_epi32(q[j], p, p);
    __asm__ volatile("" : "+v"(p));
  }
  t = now() - t0;
  long isink = 0;
  for (int j = 0; j < CHAINS; j++)
    isink += _mm512_reduce_add_epi32(q[j]);
  printf("int8_dot_gops %.1f\n", ITERS * CHAINS * 128.0 / t / 1e9);
  fprintf(stderr, "(%g %ld)\n", sink, isink);
  return 0;
}
