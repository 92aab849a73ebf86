import LogAtlasServer
import LogAtlasStore
print(StoreProbe.url as Any)
