package analyze

import (
	"reflect"
	"testing"
)

func TestParsePorts(t *testing.T) {
	got, err := ParsePorts("22, 2222,65535")
	if err != nil || !reflect.DeepEqual(got, []uint16{22, 2222, 65535}) {
		t.Errorf("ParsePorts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "65536", "22,x", "22,"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q): no error", bad)
		}
	}
	if _, err := ParsePorts("22, x"); err == nil || err.Error() != `bad port " x"` {
		t.Errorf("ParsePorts error = %v, want the entry as given", err)
	}
}
