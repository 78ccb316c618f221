// OpenBLAS's CBLAS interface (Debian: libopenblas-dev puts cblas.h in the multiarch include
// path). It also declares openblas_set_num_threads and openblas_get_corename.
#include <cblas.h>
