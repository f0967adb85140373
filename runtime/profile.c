/*===- profile.c - libdr1rt's per-layer profiler --------------------------===*
 *
 * Models compiled with dr1c --profile call dr1rt_profile_now before and
 * dr1rt_profile_record after each top-level piece of work, with a label
 * naming its source (ONNX nodes). Totals are kept per label and printed to
 * stderr at exit, largest first (DR1_PROFILE=0 keeps them quiet).
 *
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dr1/dr1rt.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SLOTS = 8192 };

typedef struct slot {
  const char *label; /* a constant string of the model: keyed by address */
  int64_t ns;
  int64_t calls;
  int order;
} slot;

static slot table[SLOTS];
static int used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int registered;

DR1RT_API int64_t dr1rt_profile_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void report_at_exit(void) {
  const char *env = getenv("DR1_PROFILE");
  if (!env || strcmp(env, "0") != 0)
    dr1rt_profile_report(stderr);
}

DR1RT_API void dr1rt_profile_record(const char *label, int64_t start) {
  int64_t dt = dr1rt_profile_now() - start;
  pthread_mutex_lock(&lock);
  if (!registered) {
    registered = 1;
    atexit(report_at_exit);
  }
  size_t h = ((uintptr_t)label >> 3) % SLOTS;
  for (int probe = 0; probe < SLOTS; ++probe, h = (h + 1) % SLOTS) {
    slot *s = &table[h];
    if (s->label == label || !s->label) {
      if (!s->label) {
        s->label = label;
        s->order = used++;
      }
      s->ns += dt;
      s->calls += 1;
      break;
    }
  }
  pthread_mutex_unlock(&lock);
}

static int by_time(const void *a, const void *b) {
  const slot *x = *(const slot *const *)a, *y = *(const slot *const *)b;
  return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : x->order - y->order;
}

DR1RT_API void dr1rt_profile_report(FILE *out) {
  pthread_mutex_lock(&lock);
  slot *rows[SLOTS];
  int n = 0;
  int64_t total = 0;
  for (int i = 0; i < SLOTS; ++i)
    if (table[i].label) {
      rows[n++] = &table[i];
      total += table[i].ns;
    }
  qsort(rows, n, sizeof rows[0], by_time);
  fprintf(out, "dr1 profile: %d regions, %.3f ms in all\n", n, total / 1e6);
  fprintf(out, "%7s %11s %8s %11s  %s\n", "share", "total ms", "calls",
          "avg us", "source");
  for (int i = 0; i < n; ++i)
    fprintf(out, "%6.1f%% %11.3f %8lld %11.1f  %s\n",
            total ? 100.0 * rows[i]->ns / total : 0.0, rows[i]->ns / 1e6,
            (long long)rows[i]->calls, rows[i]->ns / 1e3 / rows[i]->calls,
            rows[i]->label);
  pthread_mutex_unlock(&lock);
}

DR1RT_API void dr1rt_profile_reset(void) {
  pthread_mutex_lock(&lock);
  memset(table, 0, sizeof table);
  used = 0;
  pthread_mutex_unlock(&lock);
}
