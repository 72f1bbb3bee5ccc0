/* incref's own minimal <genmc.h>: GenMC's verification intrinsics incref models. */
#ifndef INCREF_GENMC_H
#define INCREF_GENMC_H
void __VERIFIER_assume(int cond);
int __VERIFIER_nondet_int(void);
void __VERIFIER_error(void);
#endif
