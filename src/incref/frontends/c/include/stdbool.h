/* incref's own minimal <stdbool.h> */
#ifndef INCREF_STDBOOL_H
#define INCREF_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#endif
