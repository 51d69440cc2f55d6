package flows

import "reflect"

// deepCopy returns a copy of v that shares no memory with it (maps,
// slices, pointers and interface values are copied too), and false when v
// holds something it cannot copy so: a channel, a function, or a struct
// with unexported fields that are not plain values (such as time.Time's
// location).
func deepCopy(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return reflect.Value{}, false
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return reflect.Zero(v.Type()), true
		}
		elem, ok := deepCopy(v.Elem())
		if !ok {
			return reflect.Value{}, false
		}
		if v.Kind() == reflect.Pointer {
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(elem)
			return c, true
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(elem)
		return c, true
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(v.Type()), true
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			key, ok := deepCopy(it.Key())
			if !ok {
				return reflect.Value{}, false
			}
			val, ok := deepCopy(it.Value())
			if !ok {
				return reflect.Value{}, false
			}
			c.SetMapIndex(key, val)
		}
		return c, true
	case reflect.Slice, reflect.Array:
		var c reflect.Value
		switch {
		case v.Kind() == reflect.Array:
			c = reflect.New(v.Type()).Elem()
		case v.IsNil():
			return reflect.Zero(v.Type()), true
		default:
			c = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		}
		for i := range v.Len() {
			elem, ok := deepCopy(v.Index(i))
			if !ok {
				return reflect.Value{}, false
			}
			c.Index(i).Set(elem)
		}
		return c, true
	case reflect.Struct:
		// A copy of the whole value, then each exported field's own copy;
		// unexported fields can be set only this way, so they must be
		// plain values.
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				if !plain(v.Type().Field(i).Type) {
					return reflect.Value{}, false
				}
				continue
			}
			f, ok := deepCopy(v.Field(i))
			if !ok {
				return reflect.Value{}, false
			}
			c.Field(i).Set(f)
		}
		return c, true
	default: // booleans, numbers, strings: values
		return v, true
	}
}

// plain says a value of t holds no pointer, map, slice or interface.
func plain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	case reflect.Array:
		return plain(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !plain(t.Field(i).Type) {
				return false
			}
		}
	}
	return true
}
