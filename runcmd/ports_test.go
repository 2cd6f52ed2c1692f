package runcmd

import (
	"reflect"
	"testing"
)

func TestPorts(t *testing.T) {
	cases := []struct {
		args []string
		want []uint16
	}{
		{[]string{"ssh", "host"}, nil},
		{[]string{"ssh", "-p", "2222", "host"}, []uint16{2222}},
		{[]string{"ssh", "-p2222", "host"}, []uint16{2222}},
		{[]string{"/usr/bin/scp", "-P", "2200", "-p", "a", "host:b"}, []uint16{2200}}, // scp's -p keeps times
		{[]string{"sftp", "-oPort=830", "host"}, []uint16{830}},
		{[]string{"ssh", "-o", "port 2022", "host"}, []uint16{2022}},
		{[]string{"git", "clone", "ssh://git@example.com:7999/x.git"}, []uint16{7999}},
		{[]string{"sh", "-c", "ssh -p 1 h; git fetch ssh://h:2222/r"}, []uint16{1, 2222}},
		{[]string{"sh", "-c", "scp -P 2200 -p a h:b && ssh -p 2201 h true; cp -p x y"}, []uint16{2200, 2201}},
		{[]string{"bash", "-c", "rsync -e 'ssh -p 830' a h:b"}, []uint16{830}},
		{[]string{"cp", "-p", "22", "x"}, nil},
		{[]string{"ssh", "-p", "0", "host"}, nil},
		{[]string{"ssh", "-p", "70000", "host"}, nil},
		{[]string{"ssh", "-p"}, nil},
	}
	for _, c := range cases {
		if got := Ports(c.args); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Ports(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
