// zlib, for the gzip-compressed CLIP BPE vocabulary (Debian: zlib1g-dev).
#include <zlib.h>
