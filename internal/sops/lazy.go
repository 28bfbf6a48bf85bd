package sops

import (
	"context"
	"sync"
)

// Func returns a decrypt function for the engine (project.DecryptFunc):
// data that is not a SOPS file comes back unchanged; the keys are loaded
// by load when the first SOPS file is met, so that projects without any
// never read key files.
func Func(load func() (Keys, error)) func(ctx context.Context, path string, data []byte) ([]byte, bool, error) {
	var once sync.Once
	var d *Decrypter
	var loadErr error
	return func(ctx context.Context, path string, data []byte) ([]byte, bool, error) {
		if !IsEncrypted(path, data) {
			return data, false, nil
		}
		once.Do(func() {
			keys, err := load()
			if err != nil {
				loadErr = err
				return
			}
			d = New(keys)
		})
		if loadErr != nil {
			return nil, false, loadErr
		}
		plain, err := d.Decrypt(ctx, path, data)
		if err != nil {
			return nil, false, err
		}
		return plain, true, nil
	}
}
