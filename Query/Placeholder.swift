import VideoIndex
