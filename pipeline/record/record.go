package record

import (
	"bufio"
	"fmt"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/internal/atomicfile"
	"github.com/rstsniff/rstsniff/pipeline"
)

// Bounds on what is kept per connection until its verdict.
const (
	maxFrames = 2000
	maxBytes  = 8 << 20
)

type frame struct {
	data   []byte
	ts     time.Time
	length int
	link   uint16
}

type flow struct {
	frames  []frame
	bytes   int
	omitted int
}

// Writer writes the packets of connections that ended abnormally to a
// pcapng file (several link types may share it), each connection's packets
// together, when its verdict is known. It copies every frame of a followed
// connection until then, bounded per connection. Files read in parallel
// may share one: it locks. The zero value is invalid: construct it with
// Create. A nil *Writer's Abort does nothing.
type Writer struct {
	mu     sync.Mutex
	name   string // the file as errors name it
	app    string
	f      *atomicfile.File
	bw     *bufio.Writer
	w      *pcapgo.NgWriter
	ifaces map[uint16]int
	flows  map[uint64]*flow
	// Flows and packets written, and packets left out by the bounds.
	Flows, Packets, Omitted int
}

var _ pipeline.Recorder = (*Writer)(nil)

// Create opens path beside which the file is written (atomicfile): it
// replaces path only on Close. name is how errors name the file (rstsniff:
// "-w PATH"), application the pcapng section's writer.
func Create(path, name, application string) (*Writer, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	return &Writer{name: name, app: application, f: f, bw: bufio.NewWriter(f), ifaces: map[uint16]int{}, flows: map[uint64]*flow{}}, nil
}

// Add copies a frame of the connection with handle h, within the bounds.
func (e *Writer) Add(h uint64, data []byte, ci capture.Info) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fl := e.flows[h]
	if fl == nil {
		fl = &flow{}
		e.flows[h] = fl
	}
	if len(fl.frames) >= maxFrames || fl.bytes+len(data) > maxBytes {
		fl.omitted++
		return
	}
	fl.frames = append(fl.frames, frame{append([]byte(nil), data...), ci.Timestamp, ci.Length, ci.LinkType})
	fl.bytes += len(data)
}

// Done writes a handed-over connection's packets if it ended abnormally, and
// forgets them either way.
func (e *Writer) Done(f *analyze.Flow) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	fl := e.flows[f.Handle]
	delete(e.flows, f.Handle)
	if fl == nil || !f.Notable() {
		return nil
	}
	for _, fr := range fl.frames {
		id, err := e.iface(fr.link)
		if err != nil {
			return err
		}
		ci := gopacket.CaptureInfo{Timestamp: fr.ts, CaptureLength: len(fr.data), Length: fr.length, InterfaceIndex: id}
		if err := e.w.WritePacket(ci, fr.data); err != nil {
			return fmt.Errorf("%s: %v", e.name, err)
		}
	}
	e.Flows++
	e.Packets += len(fl.frames)
	e.Omitted += fl.omitted
	// Live runs may end abruptly: keep what is written readable.
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("%s: %v", e.name, err)
	}
	return e.bw.Flush()
}

// forget drops a connection's packets unwritten.
func (e *Writer) forget(f *analyze.Flow) {
	e.mu.Lock()
	delete(e.flows, f.Handle)
	e.mu.Unlock()
}

func (e *Writer) iface(link uint16) (int, error) {
	if id, ok := e.ifaces[link]; ok {
		return id, nil
	}
	intf := pcapgo.NgInterface{Name: fmt.Sprintf("linktype-%d", link), LinkType: layers.LinkType(link), SnapLength: 262144}
	var id int
	var err error
	if e.w == nil {
		e.w, err = pcapgo.NewNgWriterInterface(e.bw, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: e.app}})
	} else {
		id, err = e.w.AddInterface(intf)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %v", e.name, err)
	}
	e.ifaces[link] = id
	return id, nil
}

// Close finishes the file and puts it in place; with nothing to write it
// still holds a valid, empty pcapng section.
func (e *Writer) Close() error {
	if e.w == nil {
		if _, err := e.iface(1); err != nil {
			return err
		}
	}
	if err := e.w.Flush(); err != nil {
		return err
	}
	if err := e.bw.Flush(); err != nil {
		return err
	}
	return e.f.Commit()
}

// Abort drops what was written: a run that failed leaves an existing file
// as it was.
func (e *Writer) Abort() {
	if e != nil {
		e.f.Abort()
	}
}
