// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; pkg-config openblas gives the path).
#include <cblas.h>
