package project

import (
	"encoding/json"
	"fmt"
)

// StringOrList accepts either a single string or a list of strings.
type StringOrList []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *StringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = StringOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a string or a list of strings, got %s", string(b))
	}
	*s = many
	return nil
}
