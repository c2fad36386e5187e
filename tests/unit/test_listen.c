#include "config.h"
#include <check.h>
Suite *listen_suite(void);
Suite *listen_suite(void){return suite_create("listen");}
