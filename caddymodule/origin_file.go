package caddymodule

import (
	"context"
	"errors"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/image-cdn/image_cdn/fileorigin"
	"github.com/image-cdn/image_cdn/origin"
)

func init() {
	caddy.RegisterModule(FileOrigin{})
}

// FileOrigin serves objects from a local folder. Nothing outside Root is
// reachable, whatever the request path says.
type FileOrigin struct {
	// OriginName labels the origin in messages and metrics.
	OriginName string `json:"name,omitempty"`
	// Root is the folder; placeholders such as {env.X} are resolved once at
	// provision time.
	Root string `json:"root,omitempty"`

	// folder is never closed by Cleanup: Caddy cleans a replaced config up
	// while the old server still finishes its requests (a reload's grace
	// period), and they read from it. Its descriptor closes once the
	// config is garbage (os.Root's finalizer), that is after the last of
	// them.
	folder *fileorigin.Folder
}

// CaddyModule returns the Caddy module information.
func (FileOrigin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.origins.file",
		New: func() caddy.Module { return new(FileOrigin) },
	}
}

// Provision opens the folder.
func (f *FileOrigin) Provision(caddy.Context) error {
	root := caddy.NewReplacer().ReplaceKnown(f.Root, "")
	if root == "" {
		return errors.New("file origin: root is required")
	}
	folder, err := fileorigin.Open(root)
	if err != nil {
		return fmt.Errorf("file origin %q: %w", f.OriginName, err)
	}
	f.folder = folder
	return nil
}

// Name labels the origin.
func (f *FileOrigin) Name() string { return f.OriginName }

// Stat implements Origin.
func (f *FileOrigin) Stat(ctx context.Context, key string) (origin.Info, error) {
	return f.folder.Stat(ctx, key)
}

// Get implements Origin.
func (f *FileOrigin) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	return f.folder.Get(ctx, key, opts)
}

// UnmarshalCaddyfile parses
//
//	origin file [<name>] <root>
func (f *FileOrigin) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "file"
	args := d.RemainingArgs()
	switch len(args) {
	case 1:
		f.Root = args[0]
	case 2:
		f.OriginName, f.Root = args[0], args[1]
	default:
		return d.Err("origin file: want [<name>] <root>")
	}
	if d.NextBlock(d.Nesting()) {
		return d.Errf("origin file: unexpected block starting at %q", d.Val())
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner     = (*FileOrigin)(nil)
	_ caddyfile.Unmarshaler = (*FileOrigin)(nil)
	_ Origin                = (*FileOrigin)(nil)
)
