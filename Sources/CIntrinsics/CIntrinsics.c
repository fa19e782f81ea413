// Everything lives in the header (static inline) so that Swift inlines it; SwiftPM needs a source file.
#include "CIntrinsics.h"
