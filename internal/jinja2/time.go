package jinja2

import (
	"fmt"
	"strings"
	"time"
)

// pyDatetime is a Python datetime.datetime as returned by time.now().
type pyDatetime struct {
	t     time.Time
	aware bool
}

var datetimeMethods = map[string]bool{"strftime": true, "isoformat": true, "timestamp": true}

func (d *pyDatetime) str() string {
	s := d.t.Format("2006-01-02 15:04:05")
	if us := d.t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	if d.aware {
		s += d.t.Format("-07:00")
	}
	return s
}

func (d *pyDatetime) attr(name string) (any, bool) {
	switch name {
	case "year":
		return int64(d.t.Year()), true
	case "month":
		return int64(d.t.Month()), true
	case "day":
		return int64(d.t.Day()), true
	case "hour":
		return int64(d.t.Hour()), true
	case "minute":
		return int64(d.t.Minute()), true
	case "second":
		return int64(d.t.Second()), true
	case "microsecond":
		return int64(d.t.Nanosecond() / 1000), true
	}
	return nil, false
}

var strftimeCodes = map[byte]string{
	'Y': "2006", 'm': "01", 'd': "02", 'H': "15", 'M': "04", 'S': "05", 'y': "06",
	'b': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday", 'p': "PM", 'I': "03",
	'z': "-0700", 'Z': "MST",
}

func (d *pyDatetime) method(name string, a *args) (any, error) {
	switch name {
	case "isoformat":
		s := strings.Replace(d.str(), " ", "T", 1)
		return s, nil
	case "timestamp":
		return float64(d.t.UnixNano()) / 1e9, nil
	case "strftime":
		fv, _ := a.get(0, "format")
		format := pyStr(fv)
		var b strings.Builder
		for i := 0; i < len(format); i++ {
			if format[i] != '%' || i+1 >= len(format) {
				b.WriteByte(format[i])
				continue
			}
			i++
			c := format[i]
			switch c {
			case '%':
				b.WriteByte('%')
			case 'f':
				fmt.Fprintf(&b, "%06d", d.t.Nanosecond()/1000)
			case 'j':
				fmt.Fprintf(&b, "%03d", d.t.YearDay())
			default:
				if layout, ok := strftimeCodes[c]; ok {
					b.WriteString(d.t.Format(layout))
				} else {
					b.WriteByte('%')
					b.WriteByte(c)
				}
			}
		}
		return b.String(), nil
	}
	return nil, typeError("datetime has no method %s", name)
}

// timeModule is the `time` global of Kluctl: time.now(), time.utcnow() and
// time.second, time.minute, ... as numbers of seconds.
func timeModule() *Module {
	m := &Module{name: "time", exports: &Dict{}}
	m.exports.SetStr("now", fn("now", func(r *renderer, f *frame, a *args) (any, error) {
		return &pyDatetime{t: time.Now()}, nil
	}))
	m.exports.SetStr("utcnow", fn("utcnow", func(r *renderer, f *frame, a *args) (any, error) {
		return &pyDatetime{t: time.Now().UTC()}, nil
	}))
	for name, secs := range map[string]int64{"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800} {
		m.exports.SetStr(name, secs)
	}
	return m
}
