// FFmpeg (Debian: libavformat-dev, libavcodec-dev, libavutil-dev, libswscale-dev).
// Function-like macros do not import into Swift; the small inline helpers below stand in for them.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libswscale/swscale.h>

static inline int vs_averror(int errnum) { return AVERROR(errnum); }
static inline int vs_averror_eof(void) { return AVERROR_EOF; }
static inline int vs_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t vs_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int vs_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

// For ClipWriter (cutting a segment into an H.264 MP4): encoder options.
#include <libavutil/opt.h>
