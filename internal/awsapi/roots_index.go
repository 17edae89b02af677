package awsapi

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"sync"
)

// A rootIndex holds CA roots by their raw subject, unparsed: a root is
// parsed the first time a certificate chain names it as an issuer.
// Parsing all of a system bundle's roots (about 145) cost a start 4-5 ms
// of CPU, where verifying AWS's chain needs one of them.
type rootIndex struct {
	bySubject map[string][]*root
	all       []*root // in the order read
}

// A root is one CA certificate of a rootIndex.
type root struct {
	block      []byte // the PEM block, BEGIN line to END line; nil when der is set
	der        []byte
	constraint func([]*x509.Certificate) error // as x509.CertPool.AddCertWithConstraint takes it

	once sync.Once
	cert *x509.Certificate // nil when it does not parse
}

// cert parses the root, once. A block that crypto/x509 would not have
// taken from the PEM text (not a CERTIFICATE, with headers, not base64,
// not a certificate) is no root: nil.
func (r *root) parsed() *x509.Certificate {
	r.once.Do(func() {
		der := r.der
		if der == nil {
			b, _ := pem.Decode(r.block)
			if b == nil || b.Type != "CERTIFICATE" || len(b.Headers) != 0 {
				return
			}
			der = b.Bytes
		}
		r.cert, _ = x509.ParseCertificate(der)
	})
	return r.cert
}

func (x *rootIndex) add(subject []byte, r *root) {
	if x.bySubject == nil {
		x.bySubject = make(map[string][]*root)
	}
	x.bySubject[string(subject)] = append(x.bySubject[string(subject)], r)
	x.all = append(x.all, r)
}

// addPEM indexes the CERTIFICATE blocks of PEM text, those that
// x509.CertPool.AppendCertsFromPEM would read, and says whether there
// were any.
func (x *rootIndex) addPEM(text []byte) bool {
	n := len(x.all)
	var buf [subjectPrefix]byte
	for rest := text; ; {
		var b pemBlock
		if b, rest = nextPEMBlock(rest); b.text == nil {
			break
		}
		if string(b.typ) != "CERTIFICATE" || b.headers {
			continue
		}
		if subject := blockSubject(b.body, buf[:]); subject != nil {
			x.add(subject, &root{block: b.text})
		}
	}
	return len(x.all) > n
}

// addDER indexes a DER certificate, with a constraint or none.
func (x *rootIndex) addDER(der []byte, constraint func([]*x509.Certificate) error) {
	if subject, short := rawSubject(der); subject != nil && !short {
		x.add(subject, &root{der: der, constraint: constraint})
	}
}

// poolFor returns a pool of the roots that x509.Certificate.Verify could
// use to verify chain, the certificates a server sent, leaf first: those
// whose subject is the leaf's (Verify trusts a leaf that is itself a
// root) or the issuer of one of the chain's certificates (Verify looks
// roots up by nothing else). Verifying chain against it gives what
// verifying against a pool of every root of x gives.
func (x *rootIndex) poolFor(chain []*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	add := func(name []byte) {
		for _, r := range x.bySubject[string(name)] {
			r.addTo(pool)
		}
	}
	if len(chain) > 0 {
		add(chain[0].RawSubject)
	}
	for _, c := range chain {
		add(c.RawIssuer)
	}
	return pool
}

// fill adds every root of x to pool.
func (x *rootIndex) fill(pool *x509.CertPool) {
	for _, r := range x.all {
		r.addTo(pool)
	}
}

func (r *root) addTo(pool *x509.CertPool) {
	c := r.parsed()
	switch {
	case c == nil:
	case r.constraint != nil:
		pool.AddCertWithConstraint(c, r.constraint)
	default:
		pool.AddCert(c) // a root already there is not added again
	}
}

// subjectPrefix is how much of a certificate blockSubject decodes first:
// the subject of every root in Debian's bundle ends within 489 bytes.
const subjectPrefix = 512

// blockSubject returns the raw subject of the certificate whose base64
// text, split in lines, is body, or nil. It decodes the first
// subjectPrefix bytes into buf, and the whole certificate only when the
// subject ends further on; the subject may be in buf, so it holds until
// the next call.
func blockSubject(body, buf []byte) []byte {
	if bytes.IndexByte(body, ' ') >= 0 || bytes.IndexByte(body, '\t') >= 0 {
		// encoding/pem drops them; base64 does not.
		body = bytes.ReplaceAll(bytes.ReplaceAll(body, []byte{' '}, nil), []byte{'\t'}, nil)
	}
	// Gather whole quanta of base64 for len(buf) bytes, across lines.
	want := len(buf) / 3 * 4
	var enc [subjectPrefix / 3 * 4]byte
	n := 0
	for line := body; n < want && len(line) > 0; {
		end := bytes.IndexByte(line, '\n')
		if end < 0 {
			end = len(line)
		}
		n += copy(enc[n:want], bytes.TrimSuffix(line[:end], []byte{'\r'}))
		line = line[min(end+1, len(line)):]
	}
	if n == want {
		if m, err := base64.StdEncoding.Decode(buf, enc[:n]); err == nil {
			if subject, short := rawSubject(buf[:m]); !short {
				return subject
			}
		}
	}
	// A short certificate, or a subject past the prefix.
	der := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	m, err := base64.StdEncoding.Decode(der, body)
	if err != nil {
		return nil
	}
	if subject, short := rawSubject(der[:m]); !short {
		return subject
	}
	return nil
}

// rawSubject returns the subject of the DER certificate whose beginning
// is der, as x509.Certificate.RawSubject holds it: the Name's whole
// element. short says that der ends before the subject does; a nil
// subject that is not short is not a certificate's beginning.
//
//	Certificate  ::=  SEQUENCE  { tbsCertificate  TBSCertificate, ... }
//	TBSCertificate  ::=  SEQUENCE  {
//	     version         [0]  EXPLICIT Version DEFAULT v1,
//	     serialNumber         CertificateSerialNumber,
//	     signature            AlgorithmIdentifier,
//	     issuer               Name,
//	     validity             Validity,
//	     subject              Name, ... }
func rawSubject(der []byte) (subject []byte, short bool) {
	b := der
	for range 2 { // into the certificate, then its tbsCertificate
		tag, hdr, _, ok := derHeader(b)
		if !ok || tag != 0x30 {
			return nil, !ok && len(b) < 6
		}
		b = b[hdr:]
	}
	for i, tag := range []byte{0xa0, 0x02, 0x30, 0x30, 0x30, 0x30} {
		t, hdr, n, ok := derHeader(b)
		if !ok {
			return nil, len(b) < 6
		}
		if t != tag {
			if i == 0 {
				continue // no version: a v1 certificate
			}
			return nil, false
		}
		if len(b) < hdr+n {
			return nil, true
		}
		if i == 5 {
			return b[:hdr+n], false
		}
		b = b[hdr+n:]
	}
	panic("unreachable")
}

// derHeader reads the identifier and length octets of the DER element at
// the start of b: its tag, the header's length and the contents' length.
func derHeader(b []byte) (tag byte, hdr, n int, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f { // high tag numbers: none here
		return 0, 0, 0, false
	}
	tag, n, hdr = b[0], int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k { // a root is never 16 MiB
			return 0, 0, 0, false
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hdr += k
	}
	return tag, hdr, n, true
}

// A pemBlock is a block of PEM text as encoding/pem.Decode finds it.
type pemBlock struct {
	text    []byte // from the BEGIN line to the END line, with them
	typ     []byte
	headers bool   // it has header lines
	body    []byte // its base64 lines
}

var (
	pemStart     = []byte("\n-----BEGIN ")
	pemEnd       = []byte("\n-----END ")
	pemEndOfLine = []byte("-----")
	colon        = []byte(":")
)

// nextPEMBlock finds the next block of data as encoding/pem.Decode does,
// without decoding its base64 (a root is decoded when it is parsed, and a
// block whose base64 does not decode is no root then): called again and
// again on rest, it yields what Decode would, and where Decode would skip a
// block for bad base64, it yields the block. Its code is Decode's (Go 1.26),
// but for that, the headers it only notes, and the search for the
// block's BEGIN line: forward, where Decode's bytes.LastIndex, a
// Rabin-Karp search, cost it a third of its time. FuzzNextPEMBlock holds
// it to Decode.
func nextPEMBlock(data []byte) (p pemBlock, rest []byte) {
	rest = data
	endTrailerIndex := 0
	for {
		if endTrailerIndex < 0 || endTrailerIndex > len(rest) {
			return pemBlock{}, data
		}
		rest = rest[endTrailerIndex:]

		// Find the first END line, and then the last BEGIN line before it.
		endIndex := bytes.Index(rest, pemEnd)
		if endIndex < 0 {
			return pemBlock{}, data
		}
		endTrailerIndex = endIndex + len(pemEnd)
		beginIndex := lastIndex(rest[:endIndex], pemStart[1:])
		if beginIndex < 0 || (beginIndex > 0 && rest[beginIndex-1] != '\n') {
			continue
		}
		text := rest[beginIndex:]
		rest = rest[beginIndex+len(pemStart)-1:]
		endIndex -= beginIndex + len(pemStart) - 1
		endTrailerIndex -= beginIndex + len(pemStart) - 1

		var typeLine []byte
		var consumed int
		typeLine, rest, consumed = getLine(rest)
		endIndex -= consumed
		endTrailerIndex -= consumed
		if !bytes.HasSuffix(typeLine, pemEndOfLine) {
			continue
		}
		typeLine = typeLine[0 : len(typeLine)-len(pemEndOfLine)]

		p = pemBlock{typ: typeLine}
		for {
			if len(rest) == 0 {
				return pemBlock{}, data
			}
			line, next, consumed := getLine(rest)
			if !bytes.Contains(line, colon) {
				break
			}
			p.headers = true // Decode would have a header, blank key or not
			rest = next
			endIndex -= consumed
			endTrailerIndex -= consumed
		}
		if p.headers && endIndex < 0 {
			continue
		}

		endTrailer := rest[endTrailerIndex:]
		endTrailerLen := len(typeLine) + len(pemEndOfLine)
		if len(endTrailer) < endTrailerLen {
			continue
		}
		restOfEndLine := endTrailer[endTrailerLen:]
		endTrailer = endTrailer[:endTrailerLen]
		if !bytes.HasPrefix(endTrailer, typeLine) ||
			!bytes.HasSuffix(endTrailer, pemEndOfLine) {
			continue
		}
		if s, _, _ := getLine(restOfEndLine); len(s) != 0 {
			continue
		}

		if endIndex > 0 {
			p.body = rest[:endIndex]
		}
		_, rest, _ = getLine(rest[endIndex+len(pemEnd)-1:])
		p.text = text[:len(text)-len(rest)]
		return p, rest
	}
}

// lastIndex is bytes.LastIndex(s, sep), found with forward searches.
func lastIndex(s, sep []byte) int {
	i := bytes.Index(s, sep)
	for i >= 0 {
		j := bytes.Index(s[i+1:], sep)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return i
}

// getLine is encoding/pem's: the first line of data without its
// trailing spaces and tabs, the rest, and how much it consumed.
func getLine(data []byte) (line, rest []byte, consumed int) {
	i := bytes.IndexByte(data, '\n')
	var j int
	if i < 0 {
		i = len(data)
		j = i
	} else {
		j = i + 1
		if i > 0 && data[i-1] == '\r' {
			i--
		}
	}
	return bytes.TrimRight(data[0:i], " \t"), data[j:], j
}
