BusyScreen { message: qsTr("Memeriksa data Anda…") }
