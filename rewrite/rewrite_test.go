package rewrite

import (
	"errors"
	"reflect"
	"testing"
)

func TestCloudinary(t *testing.T) {
	tests := []struct {
		path, query string
		want        Result
	}{
		{"/image/upload/w_300,h_200,c_fill/v123/path.jpg", "", Result{Path: "path.jpg", Chain: "w-300,h-200"}},
		{"image/upload/sample.jpg", "", Result{Path: "sample.jpg"}},
		{"/image/upload/v1/a/b%20c.jpg", "", Result{Path: "a/b%20c.jpg"}},
		{"/image/upload/c_fit,w_300/e_grayscale/a.jpg", "", Result{Path: "a.jpg", Chain: "c-at_max_enlarge,w-300:e-grayscale"}},
		{"/image/upload/w_0.5,c_limit,g_north_east,q_70,f_auto/a.jpg", "", Result{Path: "a.jpg", Chain: "w-0.5,c-at_max,fo-top_right,q-70,f-auto"}},
		{"/image/upload/c_pad,b_rgb:fff,w_100,h_100/a.png", "", Result{Path: "a.png", Chain: "cm-pad_resize,bg-FFFFFF,w-100,h-100"}},
		{"/image/upload/a_-90,r_max,dpr_2.0,ar_16:9,q_auto,fl_progressive/a.jpg", "", Result{Path: "a.jpg", Chain: "rt-N90,r-max,dpr-2.0,ar-16-9,pr-true"}},
		{"/image/upload/e_blur:400,e_sharpen/a.jpg", "", Result{Path: "a.jpg", Chain: "bl-20,e-sharpen"}},
		{"/image/upload/c_crop,x_10,y_20,w_50,h_60/a.jpg", "", Result{Path: "a.jpg", Chain: "cm-extract,x-10,y-20,w-50,h-60"}},
		{"/image/fetch/w_100/https://example.com/a.jpg", "", Result{Path: "https://example.com/a.jpg", Chain: "w-100"}},
		{"/image/upload/w_100/a.jpg", "ik-t=123&ik-s=abc", Result{Path: "a.jpg", Chain: "w-100", Query: "ik-t=123&ik-s=abc"}},
		{"/image/upload/d_avatars:none.png,w_10/a.jpg", "", Result{Path: "a.jpg", Chain: "di-avatars@@none.png,w-10"}},
		// A folder whose name is not key_value is the path.
		{"/image/upload/w_100/my_folder-x/a.jpg", "", Result{Path: "my_folder-x/a.jpg", Chain: "w-100"}},
	}
	for _, tt := range tests {
		got, err := Cloudinary(tt.path, tt.query)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		if *got != tt.want {
			t.Errorf("%s?%s\n got %+v\nwant %+v", tt.path, tt.query, *got, tt.want)
		}
	}
}

func TestCloudinaryRefusals(t *testing.T) {
	tests := []struct {
		path, query string
		params      []string
	}{
		{"/image/upload/w_300,l_text:hi/a.jpg", "", []string{"l_text:hi"}},
		{"/image/upload/c_imagga_crop,w_x/a.jpg", "", []string{"c_imagga_crop", "w_x"}},
		{"/image/upload/w_10,u_logo/a.jpg", "", []string{"u_logo"}},
		{"/image/upload/a_45/a.jpg", "", []string{"a_45"}},
		{"/image/upload/w_10/a.jpg", "foo=1", []string{"foo"}},
		{"/video/upload/a.mp4", "", nil},
		{"/image/upload/w_10/", "", nil},
	}
	for _, tt := range tests {
		_, err := Cloudinary(tt.path, tt.query)
		var re *Error
		if !errors.As(err, &re) || !reflect.DeepEqual(re.Params, tt.params) {
			t.Errorf("%s?%s: %v, want params %q", tt.path, tt.query, err, tt.params)
		}
	}
}

func TestImgix(t *testing.T) {
	tests := []struct {
		path, query string
		want        Result
	}{
		{"/path.jpg", "w=300&h=200&fit=crop&auto=format", Result{Path: "path.jpg", Chain: "w-300,h-200"}},
		{"/a.jpg", "", Result{Path: "a.jpg"}},
		{"/a.jpg", "fit=clip&w=100&dpr=2", Result{Path: "a.jpg", Chain: "w-100,dpr-2,c-at_max_enlarge"}},
		{"/a.jpg", "fit=crop&crop=top,left&w=10&h=10", Result{Path: "a.jpg", Chain: "w-10,h-10,fo-top_left"}},
		{"/a.jpg", "crop=faces&fit=crop&w=10&h=10", Result{Path: "a.jpg", Chain: "w-10,h-10,fo-auto"}},
		{"/a.jpg", "fit=fill&bg=%23ff0000&w=50&h=50", Result{Path: "a.jpg", Chain: "w-50,h-50,cm-pad_resize,bg-FF0000"}},
		{"/a.jpg", "bg=80FF0000&fit=fill&w=5", Result{Path: "a.jpg", Chain: "w-5,cm-pad_resize,bg-FF000080"}},
		{"/a.jpg", "rot=180&flip=hv&blur=200&sharp=30&sat=-100&q=60&fm=pjpg", Result{Path: "a.jpg", Chain: "rt-180,fl-h_v,bl-10,e-sharpen-30,e-grayscale,q-60,f-jpg,pr-true"}},
		{"/a.jpg", "ar=16:9&fit=crop&w=160", Result{Path: "a.jpg", Chain: "w-160,ar-16-9"}},
		{"/a.jpg", "w=10&ik-s=abc&ik-attachment=true", Result{Path: "a.jpg", Chain: "w-10", Query: "ik-s=abc&ik-attachment=true"}},
	}
	for _, tt := range tests {
		got, err := Imgix(tt.path, tt.query)
		if err != nil {
			t.Errorf("%s?%s: %v", tt.path, tt.query, err)
			continue
		}
		if *got != tt.want {
			t.Errorf("%s?%s\n got %+v\nwant %+v", tt.path, tt.query, *got, tt.want)
		}
	}
}

func TestImgixRefusals(t *testing.T) {
	tests := []struct {
		query  string
		params []string
	}{
		{"w=300&txt=hello&mark=x.png", []string{"mark", "txt"}},
		{"w=abc", []string{"w=abc"}},
		{"fit=facearea", []string{"fit=facearea"}},
		{"auto=enhance", []string{"auto=enhance"}},
		{"rot=45", []string{"rot=45"}},
		{"w=1&w=2", []string{"w (given twice)"}},
		{"crop=top,bottom", []string{"crop=top,bottom"}},
		{"tr=w-10", []string{"tr"}},
	}
	for _, tt := range tests {
		_, err := Imgix("/a.jpg", tt.query)
		var re *Error
		if !errors.As(err, &re) || !reflect.DeepEqual(re.Params, tt.params) {
			t.Errorf("%s: %v, want params %q", tt.query, err, tt.params)
		}
	}
}
