/* Fine-tunes a compiled digits classifier with libdr1rt, no Python:
 *
 *   train DIGITS.csv CHECKPOINT [EPOCHS]
 *
 * DIGITS.csv: scikit-learn's digits (64 pixel values 0..16, then the
 * label, per line). If CHECKPOINT exists training continues from it,
 * otherwise it starts from random weights; either way CHECKPOINT is written
 * after every epoch. The first 1504 digits train, the rest validate. */
#include "digits.h" /* dr1c loss.mlir --train=sgd --momentum=0.9 --name=digits */
#include "dr1/dr1rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 32, D = 64, C = 10, MAX_ROWS = 2000, TRAIN_ROWS = 1504 };

typedef struct {
  float (*x)[D];
  int64_t *y;
  int begin, end, next;
} Data;

static int next_batch(void *user, void *const *batch) {
  Data *d = (Data *)user;
  if (d->next + B > d->end) { /* static shapes: the last partial batch waits */
    d->next = d->begin;
    return 0;
  }
  memcpy(batch[0], d->x[d->next], sizeof(float) * B * D);
  memcpy(batch[1], d->y + d->next, sizeof(int64_t) * B);
  d->next += B;
  return 1;
}

static int load(const char *path, float (*x)[D], int64_t *y) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  int n = 0;
  while (n < MAX_ROWS) {
    float v[D + 1];
    int k = 0;
    for (; k <= D; ++k)
      if (fscanf(f, " %f ,", &v[k]) != 1)
        break;
    if (k != D + 1)
      break;
    for (int j = 0; j < D; ++j)
      x[n][j] = v[j] / 16.0f;
    y[n++] = (int64_t)v[D];
  }
  fclose(f);
  return n;
}

/* Random initial weights: uniform in +-1/sqrt(fan_in), as nn.Linear. */
static void init(dr1rt_trainer *t) {
  uint64_t s = 42;
  for (int i = 0; i < 4; ++i) {
    const dr1_tensor_info *ti = &digits_train_step_info.inputs[i];
    float *p = (float *)dr1rt_trainer_tensor(t, i);
    float bound = 1.0f / sqrtf(ti->rank == 2 ? (float)ti->shape[1] : 64.0f);
    for (uint64_t k = 0; k < ti->size_bytes / 4; ++k) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      p[k] = bound * (2.0f * (float)(s >> 40) / (float)(1 << 24) - 1.0f);
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DIGITS.csv CHECKPOINT [EPOCHS]\n", argv[0]);
    return 2;
  }
  static float x[MAX_ROWS][D];
  static int64_t y[MAX_ROWS];
  int n = load(argv[1], x, y);
  if (n <= TRAIN_ROWS) {
    fprintf(stderr, "train: cannot read digits from %s\n", argv[1]);
    return 1;
  }
  int epochs = argc > 3 ? atoi(argv[3]) : 5;
  Data train = {x, y, 0, TRAIN_ROWS, 0},
       val = {x, y, TRAIN_ROWS, n, TRAIN_ROWS};

  dr1rt_trainer *t;
  if (dr1rt_trainer_create(&digits_train_step_info, &t) != DR1RT_OK) {
    fprintf(stderr, "train: %s\n", dr1rt_last_error());
    return 1;
  }
  FILE *f = fopen(argv[2], "rb");
  if (f) {
    fclose(f);
    if (dr1rt_trainer_load(t, argv[2]) != DR1RT_OK) {
      fprintf(stderr, "train: %s\n", dr1rt_last_error());
      return 1;
    }
    printf("resumed from %s\n", argv[2]);
  } else {
    init(t);
  }
  double loss, acc;
  dr1rt_trainer_evaluate(t, &digits_info, next_batch, &val, &loss, &acc);
  printf("before: val loss %.4f, val accuracy %.4f\n", loss, acc);
  for (int e = 1; e <= epochs; ++e) {
    double train_loss;
    int64_t steps;
    if (dr1rt_trainer_epoch(t, next_batch, &train, 0.05f, NULL, NULL, e,
                            &train_loss, &steps) != DR1RT_OK ||
        dr1rt_trainer_evaluate(t, &digits_info, next_batch, &val, &loss,
                               &acc) != DR1RT_OK ||
        dr1rt_trainer_save(t, argv[2]) != DR1RT_OK) {
      fprintf(stderr, "train: %s\n", dr1rt_last_error());
      return 1;
    }
    printf("epoch %d: %lld steps, train loss %.4f, val loss %.4f, val "
           "accuracy %.4f\n",
           e, (long long)steps, train_loss, loss, acc);
  }
  dr1rt_trainer_destroy(t);
  return 0;
}
