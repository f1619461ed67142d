package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"syscall"
	"time"
)

// ErrNeedsNetwork: ADD of a URL could not reach it.
var ErrNeedsNetwork = errors.New("ADD of a URL needs the network")

// ErrDownloadTooLarge: ADD of a URL whose body is larger than the builder takes.
var ErrDownloadTooLarge = errors.New("the download is larger than the builder takes")

// maxRedirects is how many redirects an ADD URL follows, as Go's client does by
// default; a loop ends there.
const maxRedirects = 10

// fetcher downloads ADD's URLs into files of its own folder, one at a time
// and never more than max bytes each, so that a huge body fills neither memory
// nor the disk.
type fetcher struct {
	ctx    context.Context
	dir    string // made on first use, removed by close
	max    int64
	client *http.Client
}

func newFetcher(ctx context.Context, max int64) *fetcher {
	return &fetcher{ctx: ctx, max: max, client: &http.Client{
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirected to %s: only http and https are followed", req.URL.Scheme)
			}
			return nil
		},
	}}
}

func (f *fetcher) close() {
	if f != nil && f.dir != "" {
		os.RemoveAll(f.dir)
	}
}

// fetch downloads raw into a file and returns it as an entry named as Docker's
// builder names it: the last part of the URL's path. Content-Disposition is not
// read: a name the server chooses could be "../x" or a hidden file.
func (f *fetcher) fetch(raw string) (*entry, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("ADD %s: not an http or https URL", raw)
	}
	name := path.Base(path.Clean("/" + u.Path))
	if name == "/" || name == "." || name == ".." {
		return nil, fmt.Errorf("ADD %s: cannot determine a file name from the URL; end it with the file's name", raw)
	}
	if f.dir == "" {
		if f.dir, err = os.MkdirTemp("", "dockling-add-"); err != nil {
			return nil, err
		}
	}
	file, err := os.CreateTemp(f.dir, "download-")
	if err != nil {
		return nil, err
	}
	defer file.Close()
	mtime, err := f.download(u.String(), file)
	if err != nil {
		return nil, fmt.Errorf("ADD %s: %w", raw, err)
	}
	// Docker gives a downloaded file mode 0600 and the server's Last-Modified time.
	return &entry{rel: name, mode: syscall.S_IFREG | 0o600, mtime: mtime, fetched: file.Name()}, nil
}

// download copies the URL's body into w, at most f.max bytes.
func (f *fetcher) download(u string, w io.Writer) (time.Time, error) {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, u, nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && (ue.Timeout() || isDialError(ue.Err)) {
			return time.Time{}, fmt.Errorf("%w: %v", ErrNeedsNetwork, ue.Err)
		}
		return time.Time{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return time.Time{}, fmt.Errorf("failed to GET %s with status %s", u, resp.Status)
	}
	if resp.ContentLength > f.max {
		return time.Time{}, fmt.Errorf("%w: %d bytes, at most %d", ErrDownloadTooLarge, resp.ContentLength, f.max)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, f.max+1))
	if err != nil {
		return time.Time{}, err
	}
	if n > f.max {
		return time.Time{}, fmt.Errorf("%w: more than %d bytes", ErrDownloadTooLarge, f.max)
	}
	mtime := time.Now()
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		mtime = t
	}
	return mtime, nil
}

// isDialError: the host could not be found or reached.
func isDialError(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns)
}
