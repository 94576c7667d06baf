// Command gofacts prints, as JSON, what the Kubernetes protobuf definitions cannot say about the JSON
// form of the same objects: for every Go struct reachable from client-go's scheme, each protobuf field's
// JSON name and the Go shape that decides how encoding/json writes it (pointer, slice, map, struct,
// omitempty, embedded inline); and which message each apiVersion/kind is. karmadad's protobuf codec
// reads its output (see karmadad/protobuf/regenerate.py).
package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

type field struct {
	Number    int    `json:"number"`
	JSON      string `json:"json"`
	Shape     string `json:"shape"` // scalar, bytes, pointer, slice, map, struct
	OmitEmpty bool   `json:"omitempty,omitempty"`
	OmitZero  bool   `json:"omitzero,omitempty"`
	Inline    bool   `json:"inline,omitempty"`
}

type message struct {
	Fields     []field `json:"fields"`
	CustomJSON bool    `json:"customJSON,omitempty"` // the Go type writes its own JSON
}

type output struct {
	Messages map[string]message `json:"messages"`
	Kinds    map[string]string  `json:"kinds"` // "apiVersion kind" -> message
}

var marshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

// protoName is the message go-to-protobuf generates for a Go type: its import path with dots, then its name.
func protoName(t reflect.Type) string {
	return strings.ReplaceAll(t.PkgPath(), "/", ".") + "." + t.Name()
}

func shape(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "pointer"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "bytes"
		}
		return "slice"
	case reflect.Map:
		return "map"
	case reflect.Struct:
		return "struct"
	}
	return "scalar"
}

func main() {
	out := output{Messages: map[string]message{}, Kinds: map[string]string{}}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Map {
				walk(t.Key())
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || !strings.HasPrefix(t.PkgPath(), "k8s.io/") {
			return
		}
		name := protoName(t)
		if _, seen := out.Messages[name]; seen {
			return
		}
		msg := message{Fields: []field{}, CustomJSON: t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler)}
		out.Messages[name] = msg
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, ok := f.Tag.Lookup("protobuf")
			if !ok || tag == "-" {
				continue
			}
			parts := strings.Split(tag, ",")
			number, err := strconv.Atoi(parts[1])
			if err != nil {
				panic(err)
			}
			jsonTag := strings.Split(f.Tag.Get("json"), ",")
			fl := field{Number: number, JSON: jsonTag[0], Shape: shape(f.Type)}
			for _, opt := range jsonTag[1:] {
				fl.OmitEmpty = fl.OmitEmpty || opt == "omitempty"
				fl.OmitZero = fl.OmitZero || opt == "omitzero"
			}
			if fl.JSON == "-" {
				continue
			}
			if fl.JSON == "" {
				if f.Anonymous && f.Type.Kind() == reflect.Struct {
					fl.Inline = true
				} else {
					fl.JSON = f.Name
				}
			}
			msg.Fields = append(msg.Fields, fl)
			walk(f.Type)
		}
		out.Messages[name] = msg
	}
	types := scheme.Scheme.AllKnownTypes()
	for gvk, t := range types {
		if gvk.Version == runtime.APIVersionInternal {
			continue
		}
		if _, ok := t.FieldByName("TypeMeta"); !ok {
			continue
		}
		out.Kinds[gvk.GroupVersion().String()+" "+gvk.Kind] = protoName(t)
	}
	for _, t := range types {
		walk(t)
	}
	// Status answers every failure; it is registered unversioned, so name it here.
	walk(reflect.TypeOf(metav1.Status{}))
	out.Kinds["v1 Status"] = protoName(reflect.TypeOf(metav1.Status{}))
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(out); err != nil {
		panic(err)
	}
}
