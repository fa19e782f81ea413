// FFmpeg (Debian: libavformat-dev, libavcodec-dev, libavutil-dev, libswscale-dev).
// Function-like macros do not import into Swift; the small inline helpers below stand in for them.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static inline int vs_averror(int errnum) { return AVERROR(errnum); }
static inline int vs_averror_eof(void) { return AVERROR_EOF; }
static inline int vs_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t vs_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int vs_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

// For ClipWriter (cutting a segment into an H.264 MP4): encoder options.
#include <libavutil/opt.h>

// For the cut detector (LumaSignature): the bit depth of a frame format whose plane 0 holds luma,
// one little-endian sample per pixel (planar and semi-planar YUV, grey); 0 for any other layout
// (RGB, packed YUV, palettes, hardware frames), which is converted instead.
static inline int vs_luma_plane_depth(int format) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)format);
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_BE))) return 0;
    if (d->nb_components < 1 || d->comp[0].plane != 0 || d->comp[0].offset != 0 || d->comp[0].shift != 0) return 0;
    int bytes = (d->comp[0].depth + 7) / 8;
    return d->comp[0].step == bytes && bytes <= 2 ? d->comp[0].depth : 0;
}

// For the cut detector: where a frame format whose luma vs_luma_plane_depth reads keeps its two
// chroma samples (U then V: plane, byte step and offset, and how many luma pixels one covers as
// a power of two across and down), when both are 8-bit with nothing else in their bytes (4:2:0,
// 4:2:2 and 4:4:4 planar, NV12 and NV21). Returns 0 for any other layout: the cut detector then
// sees brightness only.
typedef struct {
    int plane[2], step[2], offset[2];
    int shift_x, shift_y;
} vs_chroma_layout;

static inline int vs_chroma_layout_of(int format, vs_chroma_layout *out) {
    if (vs_luma_plane_depth(format) != 8) return 0;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)format);
    if (!d || d->nb_components < 3) return 0;
    for (int c = 1; c <= 2; c++) {
        const AVComponentDescriptor *k = &d->comp[c];
        if (k->depth != 8 || k->shift != 0 || k->plane < 1 || k->plane > 2) return 0;
        out->plane[c - 1] = k->plane;
        out->step[c - 1] = k->step;
        out->offset[c - 1] = k->offset;
    }
    out->shift_x = d->log2_chroma_w;
    out->shift_y = d->log2_chroma_h;
    return 1;
}
