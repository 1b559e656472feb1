module github.com/usearch-go/usearch

go 1.24
