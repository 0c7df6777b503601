// Command openapigen writes the OpenAPI document of the OpenCPH API
// (httpapi/openapi.json) from package openapispec.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/opencph/opencph/httpapi/internal/openapispec"
)

func main() {
	out := flag.String("o", "openapi.json", "file to write")
	flag.Parse()
	doc, err := openapispec.Document()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
