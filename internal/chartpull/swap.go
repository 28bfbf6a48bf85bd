package chartpull

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// swapIn makes staged the folder dir: with one atomic exchange when dir
// exists (the old folder ends up in scratch and is removed with it), with a
// rename when it does not. scratch is a folder on the same file system.
func swapIn(staged, dir, scratch string) error {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return os.Rename(staged, dir)
	}
	err := unix.Renameat2(unix.AT_FDCWD, staged, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
		return err
	}
	// No exchange on this file system: move the old folder aside, move
	// the new one in, and put the old one back if that fails.
	old := filepath.Join(scratch, "old")
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(staged, dir); err != nil {
		_ = os.Rename(old, dir)
		return err
	}
	return nil
}
