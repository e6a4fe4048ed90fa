package caddymodule

import (
	"net/http"
	"os/exec"
	"path"
	"strings"
	"sync"
)

// ImageKit's thumbnails: <path>/ik-thumbnail.jpg is a JPEG still of the
// object at <path>, with the request's transformation applied: the first
// page of a PDF, the first frame of an animated GIF or WebP (a still output
// keeps only the first page), or a video's first frame through ffmpeg when
// it is installed (videoframe.go). pg-<n> picks another page or frame of
// an image or PDF: the transform package loads only that one. A video
// frame other than the first is not done: pg-<n> beyond 1 on a video
// answers 501 before any fetch.

const thumbnailSuffix = "/ik-thumbnail.jpg"

// thumbnailPath strips the thumbnail suffix from an escaped path.
func thumbnailPath(esc string) (string, bool) {
	return strings.CutSuffix(esc, thumbnailSuffix)
}

var videoExts = map[string]bool{".mp4": true, ".m4v": true, ".mov": true, ".webm": true, ".mkv": true, ".avi": true, ".mpeg": true, ".mpg": true, ".ogv": true}

// ffmpegInstalled is looked up once: video thumbnails need it.
var ffmpegInstalled = sync.OnceValue(func() bool {
	_, err := exec.LookPath("ffmpeg")
	return err == nil
})

// prepareThumbnail turns a thumbnail request into a transformation with a
// JPEG output, or refuses what cannot be made yet.
func prepareThumbnail(req *request) error {
	if !req.thumbnail {
		return nil
	}
	unsupported := func(msg string) error {
		return &clientError{status: http.StatusNotImplemented, code: "EUNSUPPORTED", msg: msg}
	}
	if videoExts[strings.ToLower(path.Ext(req.key))] {
		if !ffmpegInstalled() {
			return unsupported("video thumbnails need ffmpeg, which is not installed on this server")
		}
		req.videoFrame = true
		if err := videoFirstFrameOnly(req, unsupported); err != nil {
			return err
		}
	}
	if !req.hasPathChain && !req.hasQueryChain {
		req.pathChain, req.hasPathChain = "f-jpg", true
		return nil
	}
	if req.hasQueryChain {
		// The query chain's steps come last: its output format wins.
		req.queryChain += ",f-jpg"
		return nil
	}
	req.pathChain += ",f-jpg"
	return nil
}

// videoFirstFrameOnly drops pg-1 from a video thumbnail's chains (ffmpeg
// gives the first frame, a single image) and refuses any other frame.
func videoFirstFrameOnly(req *request, unsupported func(string) error) error {
	var pageErr error
	err := editChains(req, "pg-", func(p string) (string, error) {
		v, ok := strings.CutPrefix(p, "pg-")
		if !ok {
			return p, nil
		}
		if v != "1" {
			pageErr = unsupported("pg-" + v + ": only the first frame (pg-1) of a video is available in this version")
		}
		return "", nil
	})
	if err != nil {
		return err
	}
	return pageErr
}
