package caddymodule

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/image-cdn/image_cdn/signedurl"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "image-cdn-sign",
		Usage: "[--endpoint <url>] [--expires <duration>] <url or path>",
		Short: "Signs an image_cdn URL (ImageKit ik-s/ik-t)",
		Long: `
Prints the URL with the ik-s signature (and ik-t expiry) that image_cdn's
sign_key verifies. The key is read from $IMAGE_CDN_SIGN_KEY (or --key, which
leaves it in your shell history).

The signature covers the path and query after the URL endpoint, exactly as
they will be sent, so sign the URL in its final form:

  IMAGE_CDN_SIGN_KEY=secret caddy image-cdn-sign \
    --endpoint https://static.example.com/your_imagekit_id --expires 1h \
    https://static.example.com/your_imagekit_id/tr:w-300/products/red-dress.jpg
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("endpoint", "", "URL endpoint: scheme, host and the prefix handle_path strips")
			cmd.Flags().String("key", "", "signing key (default $IMAGE_CDN_SIGN_KEY)")
			cmd.Flags().Duration("expires", 0, "validity, e.g. 10m or 24h (default: never expires)")
			cmd.Args = cobra.ExactArgs(1)
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(runSign)
		},
	})
}

func runSign(fl caddycmd.Flags) (int, error) {
	key := fl.String("key")
	if key == "" {
		key = os.Getenv("IMAGE_CDN_SIGN_KEY")
	}
	if key == "" {
		return exitFailure, errors.New("no key: set IMAGE_CDN_SIGN_KEY or pass --key")
	}
	var expires time.Time
	if d := fl.Duration("expires"); d > 0 {
		expires = time.Now().Add(d)
	}
	signed, err := signURL(fl.String("endpoint"), fl.Arg(0), []byte(key), expires)
	if err != nil {
		return exitFailure, err
	}
	fmt.Println(signed)
	return 0, nil
}

// exitFailure mirrors caddy's exit code for a failed command.
const exitFailure = 1

// signURL signs target, a full URL under endpoint or a path relative to
// it, and returns the full signed URL.
func signURL(endpoint, target string, key []byte, expires time.Time) (string, error) {
	endpoint = strings.TrimSuffix(endpoint, "/")
	rel := target
	if endpoint != "" && strings.HasPrefix(target, endpoint+"/") {
		rel = target[len(endpoint)+1:]
	} else if strings.Contains(target, "://") {
		return "", fmt.Errorf("%q is not under the endpoint %q", target, endpoint)
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "" {
		return "", errors.New("nothing to sign: give the object path")
	}
	signed := signedurl.Sign(rel, key, expires)
	if endpoint == "" {
		return "/" + signed, nil
	}
	return endpoint + "/" + signed, nil
}
