/*===- internal.h - libdr1rt's functions shared between its files ---------===*/
#ifndef DR1RT_INTERNAL_H
#define DR1RT_INTERNAL_H

/* Sets what dr1rt_last_error() returns in the calling thread. */
void dr1rti_set_last_error(const char *message);

#endif /* DR1RT_INTERNAL_H */
