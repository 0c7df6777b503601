package archive_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/opencph/opencph/archive"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
)

// A driver that hands a user's tar to a consumer that unpacks it itself
// (a container runtime's copy-to-container call, say) puts Filter in
// front of it through a pipe. A refused archive closes the pipe with the
// error, so the consumer's read fails instead of seeing a short archive.
func ExampleFilter() {
	unpack := func(r io.Reader) error { // stands for the consumer
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Println("unpack", h.Name)
		}
	}
	push := func(userTar io.Reader) error {
		pr, pw := io.Pipe()
		go func() {
			_, err := archive.Filter(pw, userTar, archive.PushLimits())
			pw.CloseWithError(err) // nil: a normal end
		}()
		err := unpack(pr)
		pr.CloseWithError(errors.New("consumer done")) // stops Filter if unpack gave up
		return err
	}

	fmt.Println(push(bytes.NewReader(archivetest.Files("./data/a.txt", "hello"))))
	err := push(bytes.NewReader(archivetest.SparseBombPAX("data/big")))
	fmt.Println(errors.Is(err, runtime.ErrBadArchive), err)
	// Output:
	// unpack data/a.txt
	// <nil>
	// true runtime: invalid archive: entry "data/big": sparse files are not accepted (PAX GNU.sparse records)
}
