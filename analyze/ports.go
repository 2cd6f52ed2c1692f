package analyze

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePorts reads a list of SSH server ports for Config.Ports:
// comma-separated numbers, 1 to 65535, spaces around each allowed. The
// error names the first entry that is not one, quoted as given.
func ParsePorts(list string) ([]uint16, error) {
	var ports []uint16
	for _, p := range strings.Split(list, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("bad port %q", p)
		}
		ports = append(ports, uint16(n))
	}
	return ports, nil
}
