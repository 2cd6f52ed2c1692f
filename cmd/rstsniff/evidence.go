package main

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
	"github.com/rstsniff/rstsniff/pipeline"
)

// Bounds on what -w keeps per connection until its verdict.
const (
	evidenceFrames = 2000
	evidenceBytes  = 8 << 20
)

type evFrame struct {
	data   []byte
	ts     time.Time
	length int
	link   uint16
}

type evFlow struct {
	frames  []evFrame
	bytes   int
	omitted int
}

// evidence writes the packets of connections that ended abnormally to a
// pcapng file (several link types may share it), each connection's packets
// together, when its verdict is known. It copies every frame of a followed
// connection until then, bounded per connection.
type evidence struct {
	mu     sync.Mutex // files read in parallel share the writer
	path   string
	f      *atomicFile
	bw     *bufio.Writer
	w      *pcapgo.NgWriter
	ifaces map[uint16]int
	flows  map[uint64]*evFlow
	// Flows and packets written, and packets left out by the bounds.
	Flows, Packets, Omitted int
}

var _ pipeline.Evidence = (*evidence)(nil)

// newEvidence opens -w's file; with no -w (path "") it returns nil, whose
// abort does nothing: callers open, defer abort and Close when done.
func newEvidence(path string) (*evidence, error) {
	if path == "" {
		return nil, nil
	}
	f, err := createAtomic(path)
	if err != nil {
		return nil, fmt.Errorf("-w: %v", err)
	}
	return &evidence{path: path, f: f, bw: bufio.NewWriter(f), ifaces: map[uint16]int{}, flows: map[uint64]*evFlow{}}, nil
}

func (e *evidence) Add(h uint64, data []byte, ci capture.Info) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fl := e.flows[h]
	if fl == nil {
		fl = &evFlow{}
		e.flows[h] = fl
	}
	if len(fl.frames) >= evidenceFrames || fl.bytes+len(data) > evidenceBytes {
		fl.omitted++
		return
	}
	fl.frames = append(fl.frames, evFrame{append([]byte(nil), data...), ci.Timestamp, ci.Length, ci.LinkType})
	fl.bytes += len(data)
}

// Done writes a handed-over connection's packets if it ended abnormally, and
// forgets them either way.
func (e *evidence) Done(f *analyze.Flow) error {
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
			return fmt.Errorf("-w %s: %v", e.path, err)
		}
	}
	e.Flows++
	e.Packets += len(fl.frames)
	e.Omitted += fl.omitted
	// Live runs may end abruptly: keep what is written readable.
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("-w %s: %v", e.path, err)
	}
	return e.bw.Flush()
}

func (e *evidence) iface(link uint16) (int, error) {
	if id, ok := e.ifaces[link]; ok {
		return id, nil
	}
	intf := pcapgo.NgInterface{Name: fmt.Sprintf("linktype-%d", link), LinkType: layers.LinkType(link), SnapLength: 262144}
	var id int
	var err error
	if e.w == nil {
		e.w, err = pcapgo.NewNgWriterInterface(e.bw, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "rstsniff " + version}})
	} else {
		id, err = e.w.AddInterface(intf)
	}
	if err != nil {
		return 0, fmt.Errorf("-w %s: %v", e.path, err)
	}
	e.ifaces[link] = id
	return id, nil
}

// Close finishes the file; with nothing to write it still holds a valid,
// empty pcapng section.
func (e *evidence) Close() error {
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
	return e.f.commit()
}

// abort drops what was written: a run that failed leaves an existing -w
// file as it was.
func (e *evidence) abort() {
	if e != nil {
		e.f.abort()
	}
}
